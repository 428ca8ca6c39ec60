"""The signed, self-contained copy of a published statement: ``mirror.html`` and its ``.sig``.

One HTML file that works opened from disk and asks for nothing: its only style is inline
(allowed by its SHA-256, in the response's CSP and in a ``<meta>`` CSP that travels with the
file), there is no script, no image, no font, and the language switch is CSS ``:target``.
It holds the text in every published language, the public list as the read model shows it,
the count, the moment of the last change it shows ("as of"), the onion address if any, and
the transparency log's head. Its bytes are a function of the statement's state, so every
worker builds the same file and the same (deterministic, Ed25519) signature, and each keeps
the last few in memory: a mirror is built once per change, not once per reader.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from markupsafe import Markup
from nacl.signing import VerifyKey

from portal.mirrors import keys, transparency
from portal.models import as_utc
from portal.statements import markdown, outputs
from portal.statements.public import PublicView

# Inline, whole, hashed for the CSP: it must not vary between responses.
STYLE = (Path(__file__).with_name("mirror.css")).read_text(encoding="utf-8")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
FILE_CSP = f"default-src 'none'; style-src '{STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'"
CSP = f"{FILE_CSP}; frame-ancestors 'none'"
KEPT = 32  # mirrors each worker keeps


@dataclass(frozen=True)
class Text:
    lang: str
    title: str
    summary: str
    body_html: str


@dataclass(frozen=True)
class Mirror:
    body: bytes
    signature: str  # base64, one line
    tag: str  # the state it was built from: its ETag


def texts(view: PublicView) -> list[Text]:
    """Every published text, the reader's own last (the one shown until another is chosen)."""
    chosen = view.text.lang
    ordered = sorted(view.statement.published_translations(), key=lambda tr: (tr.lang == chosen, tr.lang))
    return [Text(tr.lang, tr.title, tr.summary or "", markdown.render(tr.body_md)) for tr in ordered]


def as_of(view: PublicView, head: transparency.Head | None) -> datetime:
    """The moment of the last change the copy shows: the list's (the log's head) or the text's."""
    statement = view.statement
    moments = [as_utc(m) for m in (statement.published_at, statement.closed_at) if m]
    moments += [as_utc(tr.updated_at) for tr in statement.published_translations()]
    if head is not None:
        moments.append(head.at)
    return max(moments)


def state_key(view: PublicView, config: Mapping, release: str) -> str:
    """Everything the copy's bytes depend on."""
    statement = view.statement
    head = transparency.head(statement.id)
    parts = [release, view.lang, statement.id, statement.slug, statement.version, statement.state,
             statement.published_at, statement.closed_at, head.hash if head else "",
             config.get("BASE_URL"), config.get("ONION_URL"), config.get("PRINT_MAX_SIGNATORIES")]
    parts += [f"{tr.lang}{tr.revision}{tr.updated_at}" for tr in statement.published_translations()]
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def context(view: PublicView, config: Mapping) -> dict:
    """What the template shows, all from the read model and the log."""
    head = transparency.head(view.statement.id)
    base, onion = (str(config.get(name) or "").rstrip("/") for name in ("BASE_URL", "ONION_URL"))
    path = f"/{view.lang}/s/{view.statement.slug}"
    return {"page_url": base + path, "onion_url": onion + path if onion else "",
            "sig_url": f"{base}{path}/mirror.html.sig",
            "key_url": f"{base}/.well-known/undersigned-signing-key",
            "view": view, "statement": view.statement, "texts": texts(view), "lang": view.lang,
            "letter": outputs.letter(view, int(config["PRINT_MAX_SIGNATORIES"])), "head": head,
            "daily_heads": transparency.daily_heads(view.statement.id), "as_of": as_of(view, head),
            "style": Markup(STYLE), "file_csp": FILE_CSP}  # the shipped stylesheet, never user text


_kept: OrderedDict[str, Mirror] = OrderedDict()
_lock = threading.Lock()


def cached(tag: str, build: Callable[[], str], instance_path: str) -> Mirror:
    """The mirror for state ``tag``: from memory, or built and signed now."""
    with _lock:
        if tag in _kept:
            _kept.move_to_end(tag)
            return _kept[tag]
    body = build().encode("utf-8")
    made = Mirror(body, keys.sign(keys.signing_key(instance_path), body), tag)
    with _lock:
        _kept[tag] = made
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return made


def check(body: bytes, signature: bytes, key: VerifyKey) -> bool:
    """True when ``signature`` (base64 or raw) is ``key``'s over exactly ``body``.

    :raises keys.BadKeyFile: the signature cannot be read.
    """
    return keys.verify(key, body, keys.load_signature(signature))
