"""The table and the issue's targets, each reported met or missed."""

from __future__ import annotations

SIGNING = "signing"
SIGNING_SHIPPED = "signing, limiter as shipped"  # the headline: SIGNING runs with the limiter off
BASE_SCENARIOS = (
    "statement page",
    "statement page, rendered",
    "statement page, no-cache",
    "counter 200",
    "counter 304",
    "signatories deep page",
    "search",
    SIGNING,
)


def _ratio(result: dict, name: str, scenario: dict) -> float:
    reference = result["references"]["insert" if name in (SIGNING, SIGNING_SHIPPED) else "ceiling"]["rps"]
    return round(scenario["rps"] / reference, 3) if reference else 0.0


def _p50(scenario: dict, field: str) -> float | None:
    return scenario.get(field, scenario.get("extra", {}).get(field))


def _target(label: str, value: float, limit: float, met: bool, unit: str = "") -> dict:
    return {"target": label, "value": value, "limit": limit, "met": met, "unit": unit}


def targets(result: dict) -> list[dict]:
    found = []
    runs = result["runs"]
    for r in runs:
        where = f"{r['backend']} {r['n']:,}"
        s = r["scenarios"]
        found.append(
            _target(
                f"statement page ≥ 0.25 × ceiling ({where})",
                _ratio(result, "statement page", s["statement page"]),
                0.25,
                _ratio(result, "statement page", s["statement page"]) >= 0.25,
                "×",
            )
        )
        found.append(
            _target(
                f"counter fragment ≥ 0.6 × ceiling ({where})",
                _ratio(result, "counter 200", s["counter 200"]),
                0.6,
                _ratio(result, "counter 200", s["counter 200"]) >= 0.6,
                "×",
            )
        )
        for name, label in ((SIGNING_SHIPPED, "signing with the limiter as shipped"),
                            (SIGNING, "signing, limiter off,")):
            if name not in s:
                continue
            ratio = _ratio(result, name, s[name])
            label = f"{label} ≥ 0.5 × insert reference ({where})"
            found.append(_target(label, ratio, 0.5, ratio >= 0.5, "×"))
            extra = s[name]["extra"]
            stored = (
                extra["rows_in_database"],
                extra.get("pending", extra["rows_in_database"]),
                extra.get("outbox_rows", extra["rows_in_database"]),
            )
            found.append(
                _target(
                    f"acknowledged = rows = pending rows = outbox emails ({name}, {where})",
                    extra["acknowledged"],
                    "/".join(map(str, stored)),
                    all(v == extra["acknowledged"] for v in stored),
                )
            )
    for backend in sorted({r["backend"] for r in runs}):
        sized = sorted((r for r in runs if r["backend"] == backend), key=lambda r: r["n"])
        if len(sized) < 2:
            continue
        small, large = sized[0]["scenarios"], sized[-1]["scenarios"]
        for name in BASE_SCENARIOS:
            for how, field in (("16 connections", "p50_ms"), ("one connection", "alone_p50_ms")):
                before, after = _p50(small[name], field), _p50(large[name], field)
                if before is None or after is None:
                    continue
                factor = round(after / before, 2) if before else 0.0
                label = (
                    f"p50 at {sized[-1]['n']:,} ≤ 1.25 × p50 at {sized[0]['n']:,}: {name} ({backend}, {how})"
                )
                # A p50 of 0 is a run that got no answer in time: never a target met.
                found.append(_target(label, factor, 1.25, 0 < factor <= 1.25 and after > 0, "×"))
        for how, field in (("16 connections", "p50_ms"), ("one connection", "alone_p50_ms")):
            value = _p50(large["search"], field)
            if value is not None:
                label = f"search p50 at {sized[-1]['n']:,} ≤ 100 ms ({backend}, {how})"
                found.append(_target(label, value, 100, 0 < value <= 100, "ms"))
    found += path_targets(result)
    peak = max([r["peak_rss_mb"] for r in runs] or [0])
    found.append(_target("peak RSS per worker ≤ 120 MB", peak, 120, peak <= 120, "MB"))
    return found


def _share(scenarios: dict, name: str, reference: str) -> float:
    base = scenarios[reference]["rps"]
    return round(scenarios[name]["rps"] / base, 3) if base else 0.0


def path_targets(result: dict) -> list[dict]:
    """Issue 17: a conditional poll costs no more than a plain one, a reload stream no more
    than a plain stream, the rendered page (SQLite) and the common-word search alone at 1M."""
    found = []
    for r in result["runs"]:
        where, s = f"{r['backend']} {r['n']:,}", r["scenarios"]
        value = _share(s, "counter 304", "counter 200")
        found.append(_target(f"counter 304 ÷ counter 200 ≥ 1.0 ({where})", value, 1.0, value >= 1.0, "×"))
        value = _share(s, "statement page, no-cache", "statement page")
        found.append(_target(f"no-cache page stream ÷ plain page stream ≥ 0.8 ({where})", value, 0.8,
                             value >= 0.8, "×"))
        if r["backend"] == "sqlite":
            value = _ratio(result, "statement page, rendered", s["statement page, rendered"])
            found.append(_target(f"statement page, rendered ÷ ceiling ≥ 0.12 ({where})", value, 0.12,
                                 value >= 0.12, "×"))
        alone = _p50(s.get("search, common word", {}), "alone_p50_ms")  # not measured: no target
        if r["n"] >= 1_000_000 and alone is not None:
            label = f"search, common word, alone ≤ 20 ms ({where})"
            found.append(_target(label, alone, 20, 0 < alone <= 20, "ms"))
    return found


def table(result: dict) -> str:
    ceiling, insert = result["references"]["ceiling"], result["references"]["insert"]
    classes = result["worker_classes"]
    lines = [
        f"Worker class: {classes['chosen']} (statement page rendered, SQLite 100: "
        + ", ".join(
            f"{k} {v['rps']} req/s, peak RSS {v.get('peak_rss_mb', '?')} MB"
            for k, v in classes["measured"].items()
        )
        + "; the faster among those within 120 MB)",
        f"Ceiling (hello world): {ceiling['rps']} req/s, p50 {ceiling['p50_ms']} ms; "
        f"insert reference (SQLite, WAL, synchronous=FULL): {insert['rps']} inserts/s, "
        f"p50 {insert['p50_ms']} ms",
        f"Rows generated (sort keys included) in {result.get('generate_seconds', 0)} s",
        "",
        "| database | signatures | scenario | req/s | p50 ms | p99 ms | p50 alone ms | errors | ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        for name, s in r["scenarios"].items():
            if name.endswith("via nginx"):
                bare = r["scenarios"][name.removesuffix(" via nginx")]["rps"]
                ratio = f"{s['rps'] / bare:.1f} × bare" if bare else ""
            else:
                reference = "insert" if name in (SIGNING, SIGNING_SHIPPED) else "ceiling"
                ratio = f"{_ratio(result, name, s):.3f} × {reference}"
            label = name
            if name in (SIGNING, SIGNING_SHIPPED):
                label = (
                    f"{name} (ack {s['extra']['acknowledged']}, rows {s['extra']['rows_in_database']}, "
                    f"pending {s['extra'].get('pending', '?')}, outbox {s['extra'].get('outbox_rows', '?')},"
                    f" flow p50 {s['extra']['flow_p50_ms']} ms)"
                )
            lines.append(
                f"| {r['backend']} | {r['n']:,} | {label} | {s['rps']} | {s['p50_ms']} | {s['p99_ms']} "
                f"| {s.get('extra', {}).get('alone_p50_ms', '')} | {s['errors']} | {ratio} |"
            )
    lines += app_servers_table(result)
    lines += ["", "| seeding | seconds | peak RSS per worker |", "|---|---:|---:|"]
    lines += [
        f"| {r['backend']} {r['n']:,} | {r['seed_seconds']} | {r['peak_rss_mb']} MB |" for r in result["runs"]
    ]
    lines += ["", "| target | value | limit | |", "|---|---:|---:|---|"]
    lines += [
        f"| {t['target']} | {t['value']}{t['unit']} | {t['limit']}{t['unit']} | "
        f"{'met' if t['met'] else 'MISSED'} |"
        for t in result["targets"]
    ]
    return "\n".join(lines)


def app_servers_table(result: dict) -> list[str]:
    """One versus two app servers behind nginx (bench/README.md), for the runs that measured it."""
    lines = []
    for r in result["runs"]:
        for name, figures in r.get("app_servers", {}).items():
            if not lines:
                lines = [
                    "",
                    "| database | signatures | one versus two app servers | one: req/s | p50 ms | two: req/s "
                    "| p50 ms | two ÷ one |",
                    "|---|---:|---|---:|---:|---:|---:|---:|",
                ]
            one, two = figures["one"], figures["two"]
            lines.append(
                f"| {r['backend']} | {r['n']:,} | {name} | {one['rps']} | {one['p50_ms']} | {two['rps']} "
                f"| {two['p50_ms']} | {figures['ratio']:.2f} × |"
            )
    return lines
