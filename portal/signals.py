"""Impersonation signals shown beside each signature awaiting moderation.

- does the contact email's domain match the organisation's website?
- is the email from a free-mail provider?
- other signatures (this statement and earlier ones) with a similar organisation name
  (rapidfuzz) or the same email domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select

from .extensions import db
from .models import Signature, Statement

FREE_MAIL = frozenset("""
gmail.com googlemail.com yahoo.com yahoo.fr yahoo.co.uk yahoo.es ymail.com rocketmail.com hotmail.com
hotmail.fr hotmail.co.uk hotmail.es outlook.com outlook.fr live.com live.fr msn.com aol.com icloud.com
me.com mac.com proton.me protonmail.com protonmail.ch pm.me tutanota.com tutanota.de tuta.io gmx.com
gmx.de gmx.net gmx.fr web.de yandex.ru yandex.com ya.ru mail.ru inbox.ru list.ru bk.ru rambler.ru
zoho.com mail.com qq.com 163.com 126.com sina.com laposte.net orange.fr free.fr sfr.fr wanadoo.fr
libero.it virgilio.it t-online.de hushmail.com fastmail.com riseup.net disroot.org posteo.de
mailbox.org seznam.cz wp.pl o2.pl interia.pl rediffmail.com naver.com daum.net
""".split())

SIMILARITY = 88  # token_sort_ratio: catches "Reporters Without Borders" vs "Reporters w/o Borders"
POOL = 5000  # the most recent signatures compared against


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def website_domain(url: str) -> str:
    if not url:
        return ""
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return host.lower().removeprefix("www.").rstrip(".")


def domains_match(mail_domain: str, web_domain: str) -> bool:
    """Same domain, or one is a subdomain of the other (press.example.org ~ example.org)."""
    if not mail_domain or not web_domain:
        return False
    return (mail_domain == web_domain or mail_domain.endswith("." + web_domain)
            or web_domain.endswith("." + mail_domain))


@dataclass
class Match:
    name: str
    slug: str
    state: str


@dataclass
class Signals:
    email_domain: str
    website_domain: str
    domain_match: bool | None  # None: no website to compare with
    free_mail: bool
    similar: list[Match] = field(default_factory=list)
    similar_elsewhere: int = 0  # on statements this coordinator does not manage: counted only
    same_domain: list[Match] = field(default_factory=list)
    same_domain_elsewhere: int = 0

    @property
    def worrying(self) -> bool:
        return self.domain_match is False or self.free_mail or bool(self.similar or self.similar_elsewhere)


def signals_for(signatures: list[Signature], visible: set[int] | None) -> dict[int, Signals]:
    """Signals for each signature; ``visible`` is the statement ids whose names may be shown (None: all)."""
    if not signatures:
        return {}
    newest = max(s.statement_id for s in signatures)
    pool = db.session.execute(
        select(Signature.id, Signature.statement_id, Signature.name, Signature.email_canonical,
               Signature.state, Statement.slug)
        .join(Statement, Statement.id == Signature.statement_id)
        .where(Signature.statement_id <= newest)
        .order_by(Signature.id.desc()).limit(POOL)).all()
    names = {row.id: row.name for row in pool}
    by_domain: dict[str, list] = {}
    for row in pool:
        by_domain.setdefault(email_domain(row.email_canonical), []).append(row)
    rows = {row.id: row for row in pool}
    found: dict[int, Signals] = {}
    for sig in signatures:
        mail, web = email_domain(sig.email_canonical), website_domain(sig.website)
        signals = Signals(mail, web, domains_match(mail, web) if web else None, mail in FREE_MAIL)
        for _name, _score, ident in process.extract(
                sig.name, names, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
                score_cutoff=SIMILARITY, limit=12):
            _add(signals, rows[ident], sig, visible, "similar")
        if not signals.free_mail:
            for row in by_domain.get(mail, [])[:50]:
                _add(signals, row, sig, visible, "same_domain")
        found[sig.id] = signals
    return found


def _add(signals: Signals, row, sig: Signature, visible: set[int] | None, kind: str) -> None:
    if row.id == sig.id or row.statement_id > sig.statement_id:
        return
    if visible is None or row.statement_id in visible:
        getattr(signals, kind).append(Match(row.name, row.slug, row.state))
    else:
        setattr(signals, kind + "_elsewhere", getattr(signals, kind + "_elsewhere") + 1)
