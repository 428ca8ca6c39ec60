"""Production server settings; every value can be overridden with GUNICORN_* variables."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
# sync, as measured by `make bench` (bench/README.md): faster than gthread with 4 threads on
# the rendered page and ~25 MB lighter per worker. It expects a buffering proxy in front
# (deploy/nginx.conf), which slow clients then wait on instead of a worker. For gthread, set
# GUNICORN_WORKER_CLASS=gthread and GUNICORN_THREADS (gunicorn also picks gthread for threads > 1).
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
