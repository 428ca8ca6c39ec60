"""The benchmark run: references, then every scenario per database and size."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

from . import load, report, seed
from .servers import Gunicorn, Nginx

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
WORKER_CLASSES = ("sync", "gthread")
RSS_TARGET_MB = 120


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


class Database:
    """A throwaway database: a SQLite file in a temporary folder, or a PostgreSQL database dropped after."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'portal.sqlite3'}"
        else:
            self.name = f"portal_bench_{os.getpid()}_{secrets.token_hex(3)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = (
                PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + self.name
            )

    def drop(self) -> None:
        if self.backend == "postgresql":
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def portal_env(url: str, instance: Path) -> dict[str, str]:
    # Rate limits are off: every client here is 127.0.0.1, and the limits would stop the load at once.
    return {
        "PORTAL_DATABASE_URL": url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_SECRET_KEY": "bench-" + "k" * 40,
        "PORTAL_MAIL_SENDER_THREAD": "false",
        "PORTAL_RATELIMIT_ENABLED": "false",
        "PORTAL_MIN_FILL_SECONDS": "0",  # the load posts at once; a person takes longer (SECURITY.md)
        "PORTAL_LOG_LEVEL": "ERROR",
        "PORTAL_BASE_URL": "http://127.0.0.1",
    }


# Signing as shipped: the limiter on, with the store `make run` uses (none configured: the
# SQLite-backed one in the instance folder), every limit counted but set far above what this
# one-address load sends, so that its cost is measured and not its refusals.
SHIPPED_LIMITER = {
    "PORTAL_RATELIMIT_ENABLED": "true",
    **{f"PORTAL_{name}": "100000000/minute" for name in (
        "SIGN_RATE_LIMIT", "SIGN_STATEMENT_RATE_LIMIT", "LINK_RATE_LIMIT", "LINK_STATEMENT_RATE_LIMIT",
        "API_RATE_LIMIT", "API_STATEMENT_RATE_LIMIT")},
}


def make_seeded_app(url: str, instance: Path):
    from portal import create_app

    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    try:
        return create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "k" * 40, "MAIL_SENDER_THREAD": False}
        )
    finally:
        del os.environ["PORTAL_INSTANCE_PATH"]


def count_rows(app, run: str) -> dict[str, int]:
    """The run's signatures in the database by state, and their confirmation emails in the outbox."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import OutboxMail, Signature

    pattern = f"sign-{run}-%"
    with app.app_context():
        states = dict(
            db.session.execute(
                select(Signature.state, func.count())
                .where(Signature.email_canonical.like(pattern))
                .group_by(Signature.state)
            ).all()
        )
        outbox = db.session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.to_addr.like(pattern))
        )
    return {
        "rows_in_database": sum(states.values()),
        "pending": states.get("pending", 0),
        "fraudulent": states.get("fraudulent", 0),
        "outbox_rows": outbox,
    }


def etag_of(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["ETag"]


def warm(url: str, seconds: float = 2) -> None:
    """A fresh worker's first requests load templates, catalogues and the collator: not measured."""
    load.wrk(url, seconds)


def measured(url: str, seconds: float, **options) -> load.Result:
    """wrk with 16 connections, then 2 s with one: its p50 is the service time without queueing."""
    found = load.wrk(url, seconds, **options)
    found.extra["alone_p50_ms"] = load.wrk(url, 2, connections=1, **options).p50_ms
    return found


def scenarios(server: Gunicorn, seeded: seed.Seeded, seconds: float, run: str) -> dict[str, load.Result]:
    base = f"{server.url}/en/s/{seeded.slug}"
    warm(base)
    warm(f"{base}/signatories?q=warm", 1)
    found = {
        "statement page": measured(base, seconds),
        # A new query string on every request misses the micro-cache: the page's real cost.
        "statement page, rendered": measured(base, seconds, unique=True),
        # Reloads (no-cache, a stale validator): at most one render per worker per second.
        "statement page, no-cache": measured(base, seconds, etag='W/"stale"', reload=True),
        "counter 200": measured(base + "/count", seconds, fragment=True),
    }
    found["counter 304"] = measured(
        base + "/count", seconds, etag=etag_of(base + "/count"), expect=(304,), fragment=True
    )
    found["signatories deep page"] = measured(
        f"{base}/signatories?after={seeded.deep_cursor}", seconds, fragment=True
    )
    found["search"] = measured(
        f"{base}/signatories?q={seeded.search_query.replace(' ', '+')}", seconds, fragment=True
    )
    found["search, common word"] = measured(
        f"{base}/signatories?q={seeded.common_query}", seconds, fragment=True
    )
    found["signing"] = load.signing(server.url, seeded.slug, run, seconds)
    return found


APP_SERVER_SCENARIOS = {
    # As served: nginx's own micro-cache answers most requests, whatever stands behind it.
    "statement page via nginx": {},
    # A new query string on every request (wrk's "unique"): past nginx's cache and the app's,
    # every request is rendered by an app server, so this is the one the second server can move.
    "statement page, rendered, via nginx": {"unique": True},
}


def app_servers(first: Gunicorn, env: dict[str, str], worker_class: str, slug: str, seconds: float) -> dict:
    """The statement page through ``deploy/nginx.conf`` with one app server, then with two.

    The second is another gunicorn with the same settings (``gunicorn.conf.py``, the same
    worker class, its own instance folder) on the same database. Two nginx run side by side,
    one in front of the first server only, one balancing between both (round-robin), and each
    scenario is measured in the order one, two, two, one, so that a machine getting busier or
    quieter during the run weighs on both alike.

    :returns: per scenario, the mean figures with one and with two servers, and two ÷ one.
    """
    path = f"/en/s/{slug}"
    runs: dict[str, dict[str, list[load.Result]]] = {
        name: {"one": [], "two": []} for name in APP_SERVER_SCENARIOS
    }
    with (
        Gunicorn("wsgi:app", env, worker_class, probe="/healthz") as second,
        Nginx(first.port) as alone,
        Nginx([first.port, second.port]) as pair,
    ):
        proxies = {"one": alone, "two": pair}
        for proxy in proxies.values():  # fresh workers' first requests are slow
            load.wrk(proxy.url + path, 2, unique=True)
        for name, options in APP_SERVER_SCENARIOS.items():
            for count in ("one", "two", "two", "one"):
                runs[name][count].append(load.wrk(proxies[count].url + path, seconds, **options))
    found = {}
    for name, by_count in runs.items():
        figures = {count: _mean(results) for count, results in by_count.items()}
        one = figures["one"]["rps"]
        figures["ratio"] = round(figures["two"]["rps"] / one, 3) if one else 0.0
        found[name] = figures
        log(f"{name}: one app server {one} req/s, two {figures['two']['rps']} req/s ({figures['ratio']} ×)")
    return found


def _mean(results: list[load.Result]) -> dict:
    """Several wrk runs of one setting: mean rate and p50, worst p99, every error, each run's rate."""
    return {
        "rps": round(sum(r.rps for r in results) / len(results), 1),
        "p50_ms": round(sum(r.p50_ms for r in results) / len(results), 2),
        "p99_ms": max(r.p99_ms for r in results),
        "errors": sum(r.errors for r in results),
        "requests": sum(r.requests for r in results),
        "runs_rps": [r.rps for r in results],
    }


def portal_run(
    backend: str,
    n: int,
    data: list[tuple],
    worker_class: str,
    seconds: float,
    tmp: Path,
    through_nginx: bool = False,
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"{backend}-{n}-", dir=tmp))
    database = Database(backend, folder)
    try:
        app = make_seeded_app(database.url, folder / "instance")
        log(f"{backend}: seeding {n:,} signatures")
        with app.app_context():
            seeded = seed.seed(n, data=data)
        log(f"{backend}: seeded {n:,} in {seeded.seconds:.1f} s {seeded.phases}")
        run = secrets.token_hex(3)
        with Gunicorn(
            "wsgi:app", portal_env(database.url, folder / "instance"), worker_class, probe="/healthz"
        ) as server:
            found = scenarios(server, seeded, seconds, run)
            proxied, servers = {}, {}
            if through_nginx:
                with Nginx(server.port) as proxy:
                    base = f"{proxy.url}/en/s/{seeded.slug}"
                    warm(base)
                    proxied = {
                        "statement page via nginx": load.wrk(base, seconds),
                        "counter 200 via nginx": load.wrk(base + "/count", seconds, fragment=True),
                    }
                second_env = portal_env(database.url, folder / "instance-2")
                servers = app_servers(server, second_env, worker_class, seeded.slug, seconds)
            rss = server.peak_rss_mb()
        shipped_run = secrets.token_hex(3)
        env = portal_env(database.url, folder / "instance") | SHIPPED_LIMITER
        with Gunicorn("wsgi:app", env, worker_class, probe="/healthz") as server:
            found[report.SIGNING_SHIPPED] = load.signing(server.url, seeded.slug, shipped_run, seconds)
        found[report.SIGNING_SHIPPED].extra.update(count_rows(app, shipped_run))
        rows = count_rows(app, run)
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
        signing = found["signing"]
        signing.extra.update(rows)
        log(f"{backend} {n:,}: done; signing acknowledged {signing.extra['acknowledged']}, {rows}")
        return {
            "backend": backend,
            "n": n,
            "worker_class": worker_class,
            "seed_seconds": round(seeded.seconds, 1),
            "seed_phases": seeded.phases,
            "peak_rss_mb": rss,
            "scenarios": {k: v.as_dict() for k, v in (found | proxied).items()},
            **({"app_servers": servers} if servers else {}),
        }
    finally:
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)


def choose_worker_class(data: list[tuple], seconds: float, tmp: Path) -> dict:
    """The rendered statement page and peak RSS under each worker class (SQLite, small statement)."""
    folder = Path(tempfile.mkdtemp(prefix="classes-", dir=tmp))
    database = Database("sqlite", folder)
    app = make_seeded_app(database.url, folder / "instance")
    with app.app_context():
        seeded = seed.seed(len(data), data=data)
    measured = {}
    for worker_class in WORKER_CLASSES:
        with Gunicorn(
            "wsgi:app", portal_env(database.url, folder / "instance"), worker_class, probe="/healthz"
        ) as server:
            url = f"{server.url}/en/s/{seeded.slug}"
            warm(url)
            measured[worker_class] = load.wrk(url, seconds, unique=True).as_dict()
            load.wrk(f"{url}/signatories?q=press", 1, fragment=True)
            measured[worker_class]["peak_rss_mb"] = server.peak_rss_mb()
        log(
            f"worker class {worker_class}: statement page rendered {measured[worker_class]['rps']} req/s, "
            f"peak RSS {measured[worker_class]['peak_rss_mb']} MB"
        )
    # The faster on real work, among the classes that keep a worker within the memory target.
    lean = [k for k in measured if measured[k]["peak_rss_mb"] <= RSS_TARGET_MB] or list(measured)
    chosen = max(lean, key=lambda k: measured[k]["rps"])
    return {"chosen": chosen, "measured": measured}


def references(worker_class: str, seconds: float, tmp: Path) -> dict:
    with Gunicorn("bench.apps:hello", {}, worker_class) as server:
        warm(server.url + "/")
        ceiling = load.wrk(server.url + "/", seconds)
        ceiling_rss = server.peak_rss_mb()
    log(f"ceiling (hello world): {ceiling.rps} req/s")
    with Gunicorn(
        "bench.apps:insert", {"BENCH_INSERT_DB": str(tmp / "insert.sqlite3")}, worker_class
    ) as server:
        reference = load.inserts(server.url, secrets.token_hex(3), seconds)
    log(f"insert reference: {reference.rps} inserts/s")
    return {"ceiling": ceiling.as_dict() | {"peak_rss_mb": ceiling_rss}, "insert": reference.as_dict()}
