"""A real gunicorn server on loopback for multi-process tests, and a small cookie-keeping client.

Usage::

    with live_server(database_url, tmp_path / "instance", workers=4) as server:
        browser = Browser(server.url)
        status, headers, body = browser.get("/healthz")
        ...
        assert "database is locked" not in server.log_text()

The schema must exist before the server starts (``db.create_all()`` or ``flask db upgrade``).
The server runs in its own session and is stopped by its PID when the block ends, whatever
happens in it. Everything has a timeout.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape as html_unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET_KEY = "live-server-secret-" + "s" * 24
TIMEOUT = 30.0


@dataclass
class LiveServer:
    """A running gunicorn: ``url`` to talk to, ``log_path`` holding its stdout and stderr."""

    url: str
    log_path: Path
    process: subprocess.Popen
    workers: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        browser = Browser(self.url)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_text()[-4000:]}")
            try:
                status, _headers, _body = browser.get("/healthz", timeout=2)
            except OSError:
                status = 0
            booted = len(re.findall(r"Booting worker with pid", self.log_text()))
            if status == 200 and booted >= self.workers:
                return
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn not ready after {timeout}s:\n{self.log_text()[-4000:]}")

    def stop(self, timeout: float = 1.0) -> None:
        """SIGINT the master (a quick stop), then SIGKILL its process group if it lingers.

        The workers leave at once; gunicorn's master takes a couple of seconds more to notice,
        which the tests do not need to wait for.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # workers left behind by a master that died: they share its process group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=20)


@contextmanager
def live_server(database_url: str, instance_path, workers: int = 4, extra_env: dict | None = None,
                threads: int = 4, preload: bool = True, ready_timeout: float = 60.0) -> Iterator[LiveServer]:
    """Run ``gunicorn wsgi:app`` on a free port of 127.0.0.1 for the duration of the block.

    :param database_url: the SQLAlchemy URL the app uses (its schema must already exist).
    :param instance_path: the app's instance folder; the log is written there.
    :param extra_env: more ``PORTAL_*`` (or other) variables, overriding the defaults here.
    :param preload: import the app once in the master and fork the workers from it. It starts
        in a fraction of the time on two cores, and it is the stricter test of fork safety:
        anything the app opens at import (a connection, a thread) would be shared by every worker.
    """
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = instance / f"gunicorn-{port}.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_SECRET_KEY": SECRET_KEY,
        "PORTAL_BASE_URL": url,
        "PORTAL_MAIL_SENDER_THREAD": "false",
        "PORTAL_RATELIMIT_ENABLED": "false",
        "PORTAL_MIN_FILL_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra_env or {})
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [GUNICORN, "--no-control-socket", "-w", str(workers), "-k", "gthread",
             "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "--graceful-timeout", "10", *(["--preload"] if preload else []), "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = LiveServer(url, log_path, process, workers)
    try:
        server._wait_ready(ready_timeout)
        yield server
    finally:
        server.stop()


def _attribute(tag: str, name: str) -> str:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return html_unescape(match.group(1)) if match else ""


@dataclass
class Browser:
    """One client with its own cookies, over plain ``http.client`` (no redirect following)."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = TIMEOUT) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            sent = {"Connection": "close", "Accept-Language": "en"}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            sent.update(headers or {})
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def get(self, path: str, **kw) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict, headers: dict | None = None,
             **kw) -> tuple[int, dict[str, str], str]:
        sent = {"Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.base_url, "Sec-Fetch-Site": "same-origin"}
        sent.update(headers or {})
        return self.request("POST", path, body=urlencode(form).encode(), headers=sent, **kw)

    def hidden_fields(self, path: str, action: str) -> dict[str, str]:
        """Open a page and read the hidden inputs of the form posting to ``action`` (a suffix),
        as a browser would send them: the CSRF token, the fill-time stamp, and the like."""
        status, _headers, html = self.get(path)
        assert status == 200, f"GET {path} gave {status}"
        for attributes, body in re.findall(r"<form([^>]*)>(.*?)</form>", html, re.S):
            target = re.search(r'action="([^"]*)"', attributes)
            if target and target.group(1).split("?")[0].endswith(action):
                hidden = [t for t in re.findall(r"<input[^>]*>", body) if 'type="hidden"' in t]
                return {_attribute(t, "name"): _attribute(t, "value") for t in hidden}
        raise AssertionError(f"no form posting to {action} on {path}")

    def form_token(self, path: str) -> str:
        """Open a page as a browser would and read the CSRF token its form carries."""
        status, _headers, html = self.get(path)
        assert status == 200, f"GET {path} gave {status}"
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)
