"""Slow clients, and why gunicorn must sit behind a buffering proxy (issue 11, finding 11).

The choice: `make serve` runs gunicorn's sync workers (the fastest and lightest class in
`make bench`), which are held by one client until its request has fully arrived. They are
not safe facing clients on their own, so a buffering proxy (deploy/nginx.conf) is required,
and gunicorn.conf.py refuses to start on an address others can reach unless PROXY_HOPS says a
proxy is in front. These tests show both halves: six slow clients stall bare gunicorn (four
workers), while through nginx a dozen of them cost a normal request nothing.
"""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import free_port, fresh_schema, make_app
from manage_fixtures import add_statement

from bench.servers import Gunicorn, Nginx

ROOT = Path(__file__).resolve().parent.parent
SLUG = "free-the-reporters"
WORKERS = 4  # what `make serve` starts on this two-core machine (two per core)
BOUND = 2.0  # seconds: a normal request must be answered within this through nginx
STALLED = 3.0  # seconds: bare gunicorn does not answer within this while the slow clients hold it


class SlowClients:
    """Connections that send a request a few bytes at a time and never finish it (slowloris)."""

    def __init__(self, port: int, headers: int, bodies: int = 0) -> None:
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        for n in range(headers + bodies):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if n < headers:  # the request line and headers arrive one header every half second
                sock.sendall(b"GET /en/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            else:  # the headers at once, then a body that trickles in
                sock.sendall(f"POST /en/s/{SLUG}/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: 60000\r\n\r\n".encode())
            self.sockets.append(sock)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")  # a header line, or 11 bytes of body
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def answered_within(port: int, path: str, timeout: float) -> float | None:
    """Seconds a normal request took, or None if it had no answer within ``timeout``."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            first = sock.recv(64)
    except TimeoutError:
        return None
    assert first.startswith(b"HTTP/1.1 200"), first
    return time.monotonic() - started


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make serve` as shipped (gunicorn.conf.py, sync workers) with deploy/nginx.conf in front."""
    tmp = tmp_path_factory.mktemp("slow")
    url = f"sqlite:///{tmp / 'portal.sqlite3'}"
    with fresh_schema(make_app(url, tmp / "instance")) as app:
        add_statement(app, SLUG, None)
    env = {"PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(tmp / "instance"),
           "PORTAL_SECRET_KEY": "slow-" + "k" * 30, "PORTAL_BASE_URL": "http://127.0.0.1",
           "PORTAL_PROXY_HOPS": "1", "PORTAL_MAIL_SENDER_THREAD": "false", "GUNICORN_WORKERS": str(WORKERS)}
    with Gunicorn("wsgi:app", env, "sync", probe="/healthz") as gunicorn:
        nginx = Nginx(gunicorn.port)
        try:
            yield SimpleNamespace(app_port=gunicorn.port, nginx_port=nginx.port)
        finally:
            nginx.stop()


@pytest.mark.slow
def test_slow_clients_stall_bare_gunicorn_but_not_nginx_in_front(served):
    paths = ("/healthz", f"/en/s/{SLUG}", "/en/", f"/en/s/{SLUG}/count")
    for _ in range(WORKERS):  # warm each worker's templates, so that the figure is about waiting only
        for path in paths:
            answered_within(served.app_port, path, 30)
    slow = SlowClients(served.nginx_port, headers=6, bodies=6)
    try:
        time.sleep(1)
        through_nginx = [answered_within(served.nginx_port, path, BOUND) for path in paths]
    finally:
        slow.close()
    slow = SlowClients(served.app_port, headers=6)
    try:
        time.sleep(1)
        bare = answered_within(served.app_port, "/healthz", STALLED)
    finally:
        slow.close()
    recovered = answered_within(served.app_port, "/healthz", 10)
    print(f"12 slow clients through nginx: normal requests answered in "
          f"{max(t for t in through_nginx if t is not None):.3f} s at most; "
          f"6 slow clients on bare gunicorn ({WORKERS} sync workers): "
          + (f"no answer within {STALLED:.0f} s" if bare is None else f"{bare:.3f} s"))
    assert None not in through_nginx and max(through_nginx) < BOUND
    assert bare is None, "bare gunicorn answered: update the choice documented in deploy/README.md"
    assert recovered is not None  # once they leave, the workers serve again


GUNICORN_CONF = runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def starting(binds: list[str]) -> None:
    GUNICORN_CONF["on_starting"](SimpleNamespace(cfg=SimpleNamespace(bind=binds)))


@pytest.mark.parametrize("binds", [["127.0.0.1:8000"], ["[::1]:8000"], ["localhost:8000"],
                                   ["unix:/run/undersigned.sock"], ["127.0.0.2:8000", "unix:/tmp/x"]])
def test_a_loopback_bind_needs_no_proxy_setting(binds, monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_PROXY_HOPS", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    starting(binds)


@pytest.mark.parametrize("binds", [["0.0.0.0:8000"], [":8000"], ["[::]:8000"], ["192.0.2.10:8000"],
                                   ["statements.example.org:8000"], ["fd://3"],
                                   ["127.0.0.1:8000", "0.0.0.0:8001"]])
def test_a_bind_others_can_reach_needs_a_proxy_in_front(binds, monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_PROXY_HOPS", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="without a proxy in front"):
        starting(binds)
    monkeypatch.setenv("PORTAL_PROXY_HOPS", "1")
    starting(binds)
    monkeypatch.delenv("PORTAL_PROXY_HOPS")
    (tmp_path / "config.py").write_text("PROXY_HOPS = 1\n")  # instance/config.py counts as well
    starting(binds)


def test_gunicorn_refuses_to_start_on_an_open_address_without_a_proxy(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "GUNICORN_"))}
    env |= {"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_SECRET_KEY": "k" * 32}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    for how in (["-b", f"0.0.0.0:{port}"], []):  # on the command line, or through GUNICORN_BIND
        run = subprocess.run([gunicorn, "-c", "gunicorn.conf.py", "--no-control-socket", *how, "wsgi:app"],
                             cwd=ROOT, env=env | {"GUNICORN_BIND": f"0.0.0.0:{port}"}, capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 1
        assert f"refusing to listen on 0.0.0.0:{port} without a proxy in front" in run.stderr
        assert "PORTAL_PROXY_HOPS=1" in run.stderr and "Traceback" not in run.stderr
        with pytest.raises(ConnectionRefusedError):  # it never listened
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
