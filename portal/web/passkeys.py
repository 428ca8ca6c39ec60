"""The relying party a passkey is bound to, worked out from the request: the host it came
through (one of the trusted hosts, checked before any view runs) and its origin."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Response, current_app, request

from portal.factors.passkeys import RelyingParty
from portal.web.hosts import base_url


def relying_party() -> RelyingParty:
    """``BASE_URL``'s host and origin when the request came through it; else the request's own
    host (a loopback name, an extra host) with the request's scheme.

    A passkey made under one host name does not work under another (WebAuthn's rule)."""
    base = urlsplit(base_url(current_app.config))
    here = urlsplit(request.host_url)
    if here.hostname == base.hostname:
        return RelyingParty(id=base.hostname or "", origin=f"{base.scheme}://{base.netloc}")
    return RelyingParty(id=here.hostname or "", origin=f"{here.scheme}://{here.netloc}")


def json_response(value: str | dict, status: int = 200) -> Response:
    """JSON for the passkey script (the options are JSON already)."""
    body = value if isinstance(value, str) else json.dumps(value)
    return Response(body, status=status, mimetype="application/json")
