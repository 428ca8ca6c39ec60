"""Hostile input on the public HTML pages: a clear 4xx or a normal page, never a 5xx."""

from __future__ import annotations

import base64

import pytest


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("path", [
    "/en/s/a%00b",
    "/en/s/free-the-reporters/signatories?q=a%00b",
    "/en/s/free-the-reporters/signatories?country=%00%00",
    "/en/s/free-the-reporters/signatories?after=" + _cursor(b"ab\x00cd:1"),
    "/en/s/free-the-reporters/signatories?after=" + _cursor(b"abcd:99999999999999999999999"),
    "/en/s/free-the-reporters/signatories?after=" + _cursor(b"abcd:-5"),
    "/en/s/free-the-reporters/signatories?after=%FF%FE",
    "/en/s/free-the-reporters?key=%00",
    "/en/s/free-the-reporters/count?key=\u00e9\u00e9",
    "/confirm/%00.%00",
    "/withdraw/" + "a" * 5000,
])
def test_no_server_error(client, make_statement, path):
    make_statement()
    response = client.get(path)
    assert response.status_code < 500, path
