"""The hosts the app answers to, and the one address it names itself by: ``BASE_URL``.

A request's ``Host`` header is the client's to choose. Nothing that leaves the app (share
links, ``og:url``, ``hreflang``, canonical links, the embed snippet, feeds, the sitemap, the
QR code, API links) may be built from it, or one forged request could make a cached page
point every later reader at another site. So :class:`Portal` builds every absolute URL from
``BASE_URL`` (or, for a request that came through ``ONION_URL``'s host, from ``ONION_URL``),
and the app answers only the hosts :func:`trusted_hosts` lists (Flask's ``TRUSTED_HOSTS``);
any other ``Host`` gets a 400 before a view runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request
from werkzeug.exceptions import SecurityError


def base_url(config: Mapping) -> str:
    """``BASE_URL`` without its trailing slash: the public address of the app's root."""
    return str(config.get("BASE_URL") or "").rstrip("/")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def onion_url(config: Mapping) -> str:
    """``ONION_URL`` without its trailing slash: the app's root as Tor Browser reaches it, or ""."""
    return str(config.get("ONION_URL") or "").rstrip("/")


def root_url(config: Mapping) -> str:
    """The root that absolute links of this request are built on: ``ONION_URL`` for a request that
    came through the onion host (so a Tor Browser reader stays on it), else ``BASE_URL``. Both are
    the administrator's settings; the request only chooses between them."""
    onion = onion_url(config)
    if onion and has_request_context() and _host_name() == urlsplit(onion).hostname:
        return onion
    return base_url(config)


def _host_name() -> str:
    # The raw header: ``request.host`` raises for a host the app does not answer to, and only an
    # exact match with the configured onion host chooses anything here.
    return request.environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()


def onion_location(response) -> None:
    """Tell Tor Browser where the page is on the onion site (``Onion-Location``), for HTML pages
    asked through any other host."""
    onion = onion_url(current_app.config)
    if onion and response.mimetype == "text/html" and root_url(current_app.config) != onion:
        path = request.full_path.removesuffix("?").removeprefix(request.script_root)
        response.headers.setdefault("Onion-Location", onion + path)


def trusted_hosts(config: Mapping) -> list[str]:
    """``BASE_URL``'s host, then each of ``EXTRA_HOSTS`` (ports are not compared).

    :param config: the app's settings.
    :returns: the list for Flask's ``TRUSTED_HOSTS``; a name starting with a dot also
        admits its subdomains (Werkzeug's rule).
    """
    hosts = []
    own = urlsplit(base_url(config)).hostname
    if own:
        hosts.append(own)
    if own in LOOPBACK:  # a development server: its other loopback names are the same machine
        hosts.extend(LOOPBACK)
    onion = urlsplit(onion_url(config)).hostname
    if onion:
        hosts.append(onion)
    extra = config.get("EXTRA_HOSTS") or []
    if isinstance(extra, str):  # PORTAL_EXTRA_HOSTS=a.example,b.example
        extra = extra.split(",")
    hosts.extend(name.strip().lower() for name in extra if name.strip())
    return list(dict.fromkeys(hosts))


class Portal(Flask):
    """Flask, except that an absolute URL starts with ``BASE_URL``, never with the request's host,
    and a request under a host it does not answer to is refused before anything else runs."""

    def preprocess_request(self):
        # Flask raises the untrusted host only at dispatch; a before_request hook that aborted
        # first (a JSON body, a NUL) would have its error page built without any URL adapter.
        if isinstance(request.routing_exception, SecurityError):
            raise request.routing_exception
        return super().preprocess_request()

    def url_for(self, endpoint: str, /, *, _external: bool | None = None, **values) -> str:
        if not _external:
            return super().url_for(endpoint, _external=_external, **values)
        path = super().url_for(endpoint, _external=False, **values)
        # BASE_URL names the app's root as the public reaches it, prefix included (as in emails).
        root = request.script_root if has_request_context() else ""
        return root_url(self.config) + path.removeprefix(root)
