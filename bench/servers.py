"""Servers the benchmark starts on 127.0.0.1 and stops by PID: gunicorn and nginx."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a gunicorn master's workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` on a free loopback port; tracks each worker's peak RSS."""

    def __init__(self, app: str, env: dict[str, str], worker_class: str, probe: str = "/") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.peak_kb: dict[int, int] = {}
        environment = (
            os.environ
            | env
            | {
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKER_CLASS": worker_class,
                "PYTHONPATH": str(ROOT),
                # gunicorn turns sync into gthread when threads > 1.
                **({"GUNICORN_THREADS": "1"} if worker_class == "sync" else {}),
            }
        )
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket", app],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_http(self.url + probe, self.process)
        except Exception:
            self.stop()
            self.log.seek(0)
            sys.stderr.write(self.log.read().decode(errors="replace")[-3000:])
            raise
        self._stop_sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def _sample(self) -> None:
        # Workers are recycled after max_requests, so read each one's high-water mark while it lives.
        while not self._stop_sampling.wait(0.5):
            self._record()

    def _record(self) -> None:
        for pid in self.workers():
            self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), _status_kb(pid, "VmHWM"))

    def peak_rss_mb(self) -> float:
        self._record()
        return round(max(self.peak_kb.values(), default=0) / 1024, 1)

    def stop(self) -> None:
        if getattr(self, "_stop_sampling", None):
            self._stop_sampling.set()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


SHIPPED_UPSTREAM = "server 127.0.0.1:8000;"


class Nginx:
    """nginx in the foreground with ``deploy/nginx.conf``'s site, pointed at one upstream or
    several (the shipped ``upstream`` block's one server line becomes one line per port, so
    nginx balances between them, round-robin, as it would between app servers).

    :param port: where nginx listens (default: a free port), for a caller that must name the
        address before nginx starts.
    """

    def __init__(self, upstream_port: int | Sequence[int], port: int | None = None) -> None:
        ports = [upstream_port] if isinstance(upstream_port, int) else list(upstream_port)
        if not ports:
            raise ValueError("nginx needs at least one upstream port")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = tempfile.TemporaryDirectory(prefix="bench-nginx-")
        prefix = Path(self.prefix.name)
        prefix.chmod(0o755)  # nginx's workers drop to an unprivileged user and write the cache here
        (prefix / "logs").mkdir()
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        if site.count(SHIPPED_UPSTREAM) != 1:
            raise RuntimeError(f"deploy/nginx.conf no longer has one '{SHIPPED_UPSTREAM}' line")
        servers = "\n    ".join(f"server 127.0.0.1:{p};" for p in ports)
        site = (
            site.replace(SHIPPED_UPSTREAM, servers)
            .replace("listen 80;", f"listen 127.0.0.1:{self.port};")
            .replace("/var/cache/nginx/undersigned", str(prefix / "cache"))
            .replace("/srv/undersigned/portal/static/", str(ROOT / "portal" / "static") + "/")
        )
        config = prefix / "nginx.conf"
        config.write_text(
            f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"  fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n"
            f"  scgi_temp_path {prefix}/scgi;\n{site}\n}}\n"
        )
        self.process = subprocess.Popen(
            ["nginx", "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_http(self.url + "/healthz", self.process, timeout=15)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.prefix.cleanup()

    def __enter__(self) -> Nginx:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
