"""Impersonation signals shown beside each signature awaiting moderation.

- does the contact email's domain match the organisation's website?
- is the email from a free-mail provider?
- other signatures (this statement and earlier ones) with a similar organisation name, compared
  by their confusable skeleton (:func:`portal.text.skeleton`) with rapidfuzz, so a name spelt
  with look-alike letters, zero-width spaces or bidi controls matches the one it imitates;
- other signatures with the same email domain;
- other organisations the same address signed for on the same statement.

What a coordinator may learn through them is what they could see anyway: every signature on
the statements they manage, and elsewhere only what the public sees, a name listed in full
on a public statement. Nothing is counted or hinted about the rest, so renaming one's own row
to guesses tells nothing about signatures that are hidden, pending, rejected, withdrawn or
set aside on other coordinators' statements. An email domain is never public, so the
same-domain signal looks only at managed statements. Administrators manage everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process, utils
from sqlalchemy import and_, or_, select, true

from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, StatementState, Visibility
from portal.text import skeleton

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
PUBLIC_STATES = (StatementState.published, StatementState.closed, StatementState.archived)


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
    same_domain: list[Match] = field(default_factory=list)
    # The other organisations this address signed for on the same statement.
    same_address: list[Match] = field(default_factory=list)

    @property
    def organisations(self) -> int:
        """How many organisations this address signed for on this statement, this one included."""
        return 1 + len(self.same_address)

    @property
    def worrying(self) -> bool:
        return bool(self.domain_match is False or self.free_mail or self.similar or self.same_address)


def comparable(visible: set[int] | None):
    """The rows a coordinator's signals may compare with: every row of the statements in
    ``visible``, and elsewhere only signatures listed in full on a public statement
    (``visible`` None, for an administrator: every row)."""
    if visible is None:
        return true()
    return or_(Signature.statement_id.in_(sorted(visible) or [-1]), and_(
        Signature.state == SignatureState.validated, Signature.visibility == Visibility.full,
        Statement.state.in_(PUBLIC_STATES)))


def signals_for(signatures: list[Signature], visible: set[int] | None) -> dict[int, Signals]:
    """Signals for each signature.

    :param signatures: rows of statements the coordinator manages.
    :param visible: the ids of the statements the coordinator manages (None: all, for an
        administrator); see :func:`comparable` for what is compared elsewhere.
    """
    if not signatures:
        return {}
    newest = max(s.statement_id for s in signatures)
    pool = db.session.execute(
        select(Signature.id, Signature.statement_id, Signature.name, Signature.email_canonical,
               Signature.state, Statement.slug)
        .join(Statement, Statement.id == Signature.statement_id)
        .where(Signature.statement_id <= newest, comparable(visible))
        .order_by(Signature.id.desc()).limit(POOL)).all()
    looks = {row.id: skeleton(row.name) for row in pool}
    by_domain: dict[str, list] = {}
    for row in pool:
        if visible is None or row.statement_id in visible:  # an email domain is never public
            by_domain.setdefault(email_domain(row.email_canonical), []).append(row)
    rows = {row.id: row for row in pool}
    addresses = same_address(signatures)
    found: dict[int, Signals] = {}
    for sig in signatures:
        mail, web = email_domain(sig.email_canonical), website_domain(sig.website)
        signals = Signals(mail, web, domains_match(mail, web) if web else None, mail in FREE_MAIL)
        for _name, _score, ident in process.extract(
                skeleton(sig.name), looks, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
                score_cutoff=SIMILARITY, limit=12):
            _add(signals.similar, rows[ident], sig)
        if not signals.free_mail:
            for row in by_domain.get(mail, [])[:50]:
                _add(signals.same_domain, row, sig)
        signals.same_address = addresses.get(sig.id, [])
        found[sig.id] = signals
    return found


def _add(matches: list[Match], row, sig: Signature) -> None:
    if row.id != sig.id and row.statement_id <= sig.statement_id:
        matches.append(Match(row.name, row.slug, row.state))


def same_address(signatures: list[Signature]) -> dict[int, list[Match]]:
    """For each signature, the other organisations its address signed for on its statement
    (in any state; names that share a skeleton count once)."""
    if not signatures:
        return {}
    rows = db.session.execute(
        select(Signature.id, Signature.statement_id, Signature.name, Signature.email_canonical,
               Signature.state, Statement.slug)
        .join(Statement, Statement.id == Signature.statement_id)
        .where(Signature.statement_id.in_(sorted({s.statement_id for s in signatures})),
               Signature.email_canonical.in_(sorted({s.email_canonical for s in signatures})))
        .order_by(Signature.id)).all()
    return group_by_address(signatures, rows)


def group_by_address(signatures: Iterable[Signature], rows: Iterable) -> dict[int, list[Match]]:
    """The grouping of :func:`same_address`, apart from the query (rows carry ``id``,
    ``statement_id``, ``name``, ``email_canonical``, ``state`` and ``slug``)."""
    groups: dict[tuple[int, str], list] = {}
    for row in rows:
        groups.setdefault((row.statement_id, row.email_canonical), []).append(row)
    found: dict[int, list[Match]] = {}
    for sig in signatures:
        seen = {skeleton(sig.name)}
        others = []
        for row in groups.get((sig.statement_id, sig.email_canonical), []):
            look = skeleton(row.name)
            if row.id != sig.id and look not in seen:
                seen.add(look)
                others.append(Match(row.name, row.slug, row.state))
        if others:
            found[sig.id] = others
    return found
