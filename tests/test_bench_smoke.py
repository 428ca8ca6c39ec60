"""The benchmark's own code stays importable and its seeding stays right (tiny N, no load)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from bench import report, seed
from portal.extensions import db
from portal.models import CountryTally, Signature, Statement
from portal.statements import reading as service
from portal.text import fold, sort_key


def test_assembled_sort_keys_equal_the_applications():
    seed.check_keys(sample=300)
    rng = random.Random(1)
    words, number = seed.name_parts(12345, rng)
    assert seed.KeyMaker().key(words, number) == sort_key(" ".join(words) + " " + number)


def test_seeding_a_small_statement_gives_consistent_rows_counts_and_probes(app):
    with app.app_context():
        seeded = seed.seed(300)
        statement = db.session.get(Statement, seeded.statement_id)
        rows = db.session.scalar(select(func.count()).select_from(Signature))
        tallied = db.session.scalar(select(func.sum(CountryTally.n)))
        listed_rows = db.session.scalar(select(func.count()).select_from(Signature).where(
            Signature.visibility != "hidden"))
        assert rows == statement.count_total == 300
        assert tallied == listed_rows < rows  # per-country figures leave the hidden out
        listed = service.signatories(statement, limit=1000).rows
        assert [s.sort_key for s in listed] == sorted(s.sort_key for s in listed)
        assert all(s.sort_key == sort_key(s.name) for s in listed if s.visibility == "full")
        assert all(s.search_text == fold(s.name) for s in listed)
        found = service.signatories(statement, q=seeded.search_query).rows
        assert found and all(seeded.search_query in s.search_text for s in found)
        deep = service.signatories(statement, cursor=seeded.deep_cursor, limit=1000).rows
        assert 0 < len(deep) < len(listed)
        assert seeded.seconds > 0 and "insert rows" in seeded.phases


def test_report_marks_targets_met_and_missed():
    scenario = {"rps": 100.0, "p50_ms": 2.0, "p99_ms": 9.0, "errors": 0,
                "extra": {"acknowledged": 5, "rows_in_database": 5, "flow_p50_ms": 3.0}}
    runs = [{"backend": "sqlite", "n": n, "peak_rss_mb": 90.0, "seed_seconds": 1.0,
             "scenarios": {name: dict(scenario, p50_ms=p50) for name in report.BASE_SCENARIOS}}
            for n, p50 in ((100, 2.0), (1000, 3.0))]
    runs[0]["scenarios"][report.SIGNING_SHIPPED] = dict(scenario, rps=60.0)  # the limiter's cost
    result = {"runs": runs, "references": {"ceiling": {"rps": 200.0, "p50_ms": 1.0},
                                           "insert": {"rps": 150.0, "p50_ms": 1.0}},
              "worker_classes": {"chosen": "sync", "measured": {"sync": {"rps": 1.0}}}}
    result["targets"] = report.targets(result)
    by_name = {t["target"]: t["met"] for t in result["targets"]}
    assert by_name["statement page ≥ 0.25 × ceiling (sqlite 100)"] is True
    assert by_name["counter fragment ≥ 0.6 × ceiling (sqlite 100)"] is False
    assert by_name["p50 at 1,000 ≤ 1.25 × p50 at 100: search (sqlite, 16 connections)"] is False
    assert by_name["signing with the limiter as shipped ≥ 0.5 × insert reference (sqlite 100)"] is False
    assert by_name["signing, limiter off, ≥ 0.5 × insert reference (sqlite 100)"] is True
    assert "| sqlite | 1,000 | search |" in report.table(result)
    runs[1]["scenarios"]["search"] = dict(scenario, p50_ms=0.0)  # no answer within the run
    missed = {t["target"]: t["met"] for t in report.targets(result)}
    assert missed["p50 at 1,000 ≤ 1.25 × p50 at 100: search (sqlite, 16 connections)"] is False
    assert "| sqlite | 100 | signing, limiter as shipped (ack 5" in report.table(result)


def test_report_prints_one_versus_two_app_servers():
    figures = {"rps": 100.0, "p50_ms": 2.0, "p99_ms": 9.0, "errors": 0}
    servers = {"statement page, rendered, via nginx": {"one": figures, "two": dict(figures, rps=150.0),
                                                       "ratio": 1.5}}
    result = {"runs": [{"backend": "sqlite", "n": 100, "app_servers": servers},
                       {"backend": "sqlite", "n": 1000}]}
    lines = report.app_servers_table(result)
    row = "| sqlite | 100 | statement page, rendered, via nginx | 100.0 | 2.0 | 150.0 | 2.0 | 1.50 × |"
    assert row in lines
    assert report.app_servers_table({"runs": [{"backend": "sqlite", "n": 100}]}) == []
