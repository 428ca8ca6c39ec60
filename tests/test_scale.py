"""What a request costs must not grow with the list: the statement page, a deep page, a search
and a signature cost about as much at 4,000 signatures as at 400 (SQLite).

Measured as SQLite virtual-machine steps (a progress handler every 20 instructions), which are
the same from run to run, not as time. A query that reads a statement's whole list (the hidden
count, or a duplicate check on a partial index it cannot use) costs ten times more at ten times
the size; one that seeks through an index costs the same.
"""

from __future__ import annotations

import sqlite3

import pytest
from conftest import csrf_token, fresh_schema, make_app
from sqlalchemy import event

from bench import seed
from portal.extensions import db
from portal.web import pagecache

SIZES = (400, 4000)
GROWTH = 2.0  # a B-tree a level deeper, a search with a few more matches; a scan of the list: 5-10 x


class Steps:
    """Counts SQLite VM steps on every connection of one engine while ``counting``."""

    def __init__(self, engine) -> None:
        self.n, self.counting = 0, False
        event.listen(engine, "connect", self._attach)
        engine.dispose()  # connections opened before the listener get it too

    def _attach(self, dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.set_progress_handler(self._tick, 20)

    def _tick(self) -> int:
        if self.counting:
            self.n += 1
        return 0

    def of(self, action) -> int:
        self.n, self.counting = 0, True
        try:
            action()
        finally:
            self.counting = False
        return self.n


def costs(tmp_path, n: int) -> dict[str, int]:
    url = f"sqlite:///{tmp_path / f'scale-{n}.sqlite3'}"
    with fresh_schema(make_app(url, tmp_path / f"instance-{n}")) as app:
        with app.app_context():
            seeded = seed.seed(n)
            steps = Steps(db.engine)
        client = app.test_client()
        page = f"/en/s/{seeded.slug}"
        token = csrf_token(client, page)

        def cold_page():
            pagecache.PAGES._items.clear()  # a render, not a kept copy
            assert client.get(page).status_code == 200

        def get(path):
            return lambda: client.get(path).status_code == 200 or pytest.fail(path)

        def sign():
            answer = client.post(f"{page}/sign", data={
                "csrf_token": token, "kind": "organisation", "name": "Scale Test Union", "signer_name": "Ana",
                "role": "Director", "country": "FR", "email": "scale@example.org", "visibility": "full",
                "authorised": "y"})
            assert answer.status_code == 303

        found = {"statement page": steps.of(cold_page),
                 "deep page": steps.of(get(f"{page}/signatories?after={seeded.deep_cursor}")),
                 "search": steps.of(get(f"{page}/signatories?q={seeded.search_query.replace(' ', '+')}")),
                 "signing": steps.of(sign)}
        with app.app_context():
            db.engine.dispose()
        return found


def test_a_request_costs_the_same_at_ten_times_the_signatures(tmp_path):
    small, large = (costs(tmp_path, n) for n in SIZES)
    grown = {name: round(large[name] / max(small[name], 1), 2) for name in small}
    assert all(small[name] > 0 for name in small), small  # the handler did count
    assert all(factor <= GROWTH for factor in grown.values()), (grown, small, large)
