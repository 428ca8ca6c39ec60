"""Production server settings; every value can be overridden with GUNICORN_* variables."""

import ipaddress
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
# sync, as measured by `make bench` (bench/README.md): faster than gthread with 4 threads on
# the rendered page and ~25 MB lighter per worker. A sync worker is held by one client until
# its request has arrived, so six clients sending a byte now and then stall four workers: a
# buffering proxy in front (deploy/nginx.conf) is REQUIRED, and slow clients then wait on it
# instead of on a worker. on_starting() below refuses to face clients directly. For gthread,
# set GUNICORN_WORKER_CLASS=gthread and GUNICORN_THREADS (gunicorn picks gthread for threads > 1).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# A sync worker is silent to the arbiter while it streams one response, so the timeout must
# cover the longest one: a full export of a million signatures streams for about 25 s here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 20
keepalive = 5
# Recycling is a safety net against leaks, not a routine: at read-storm rates 5,000 requests
# restarted every worker every few seconds, and a fresh worker's first requests are slow.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 200000))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # off by default: URLs carry tokens
errorlog = "-"
# The app sits behind one reverse proxy (see deploy/); PORTAL_PROXY_HOPS tells the app.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def _loopback(address: str) -> bool:
    """True for a bind only this host can reach: a Unix socket or a loopback address."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name, "" (every interface) or fd://N: may be reachable from elsewhere
        return False


def on_starting(server):
    """Refuse a bind that clients can reach while the app is told no proxy is in front.

    The workers must sit behind a buffering proxy (see above and deploy/README.md). Bound to
    loopback or a Unix socket, only a proxy on this host can reach them; any other bind is
    accepted only when PORTAL_PROXY_HOPS (or PROXY_HOPS in instance/config.py) says one is there.
    """
    from portal.config import ROOT, proxy_hops

    exposed = [address for address in server.cfg.bind if not _loopback(address)]
    instance = os.environ.get("PORTAL_INSTANCE_PATH") or str(ROOT / "instance")
    if exposed and proxy_hops(instance) < 1:
        raise RuntimeError(
            f"refusing to listen on {', '.join(exposed)} without a proxy in front. gunicorn's sync "
            "workers are stalled by a few slow clients: put a buffering proxy (deploy/nginx.conf) in "
            "front and set PORTAL_PROXY_HOPS=1, or bind to 127.0.0.1 (GUNICORN_BIND).")


def post_worker_init(worker):
    """Start this worker's mail sender at once (it used to start with the worker's first write):
    email queued before a restart, or left claimed by a server that was killed, goes out without
    waiting for the next signature."""
    from portal.mail.outbox import worker as sender

    sender.notify()
