"""``python -m bench``: run every scenario, print the table, write bench/results/<timestamp>.json.

Settings (environment): BENCH_SECONDS (per scenario, default 4), BENCH_N (the large statement,
default 1000000), BENCH_PG (the PostgreSQL admin URL), BENCH_SKIP_PG=1.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import load, report, run, seed

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    missing = load.wrk_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    seconds = float(os.environ.get("BENCH_SECONDS", 4))
    big = int(os.environ.get("BENCH_N", 1_000_000))
    backends = ["sqlite"]
    if os.environ.get("BENCH_SKIP_PG") != "1" and run.pg_reachable():
        backends.append("postgresql")
    else:
        run.log("PostgreSQL is not reachable (or BENCH_SKIP_PG=1): SQLite only")
    nginx = shutil.which("nginx") is not None
    if not nginx:
        run.log("nginx is not installed (Debian: apt-get install nginx-light): skipping the proxy runs")
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict = {
        "started": stamp,
        "seconds_per_scenario": seconds,
        "connections": load.CONNECTIONS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        tmp = Path(folder)
        small = seed.generate(100)
        result["worker_classes"] = run.choose_worker_class(small, seconds, tmp)
        worker_class = result["worker_classes"]["chosen"]
        result["references"] = run.references(worker_class, seconds, tmp)
        generated = time.perf_counter()
        large = seed.generate(big)
        result["generate_seconds"] = round(time.perf_counter() - generated, 1)
        run.log(f"generated {big:,} rows with their sort keys in {result['generate_seconds']} s")
        for backend in backends:
            for n, data in ((100, small), (big, large)):
                result["runs"].append(
                    run.portal_run(
                        backend,
                        n,
                        data,
                        worker_class,
                        seconds,
                        tmp,
                        through_nginx=nginx and backend == "sqlite" and n == 100,
                    )
                )
    result["total_seconds"] = round(time.monotonic() - started, 1)
    result["targets"] = report.targets(result)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(report.table(result))
    print(f"\nWritten to {path.relative_to(RESULTS.parent.parent)} in {result['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
