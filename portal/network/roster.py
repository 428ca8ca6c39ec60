"""The roster of the network's organisations: the rules a row follows, saving (create or update,
matched on the name), listing by tag or country, and merging duplicates. Coordinators only;
every change is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.languages import known
from portal.models import Invitation, Organisation, utcnow
from portal.network import contacts
from portal.signatures.details import name_error, website_error
from portal.text import countries, country_codes, escape_like, name_key, normalise_website

SEPARATORS = re.compile(r"[\s;,]+")
TAG = re.compile(r"^[\w-]{1,40}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


class RosterError(DomainError):
    """A reason an organisation cannot be saved as given."""


@dataclass(frozen=True)
class OrgInput:
    """An organisation as a coordinator or a CSV row gives it, before cleaning."""

    name: str
    country: str = ""
    website: str = ""
    emails: str = ""  # separated by spaces, commas or semicolons
    language: str = ""
    tags: str = ""
    other_names: str = ""  # one per line, or separated by semicolons in a CSV cell
    domains: str = ""


@dataclass(frozen=True)
class Cleaned:
    name: str
    country: str
    website: str
    emails: list[str]
    language: str
    tags: list[str]
    other_names: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)


def split(value: str) -> list[str]:
    return [part for part in SEPARATORS.split(value or "") if part]


@cache
def english_names() -> dict[str, str]:
    """Casefolded English country names (CLDR's, as Babel has them: "Russia", "Turkey") to codes."""
    return {name.casefold(): code for code, name in countries("en")}


def country_code(value: str) -> str | None:
    """An ISO 3166 code from a code (FR, FRA) or an English name (France, Russian Federation,
    Russia), else None."""
    value = " ".join(value.split())
    if not value:
        return None
    try:
        code = pycountry.countries.lookup(value).alpha_2
    except LookupError:
        code = english_names().get(value.casefold())
    return code if code in country_codes() else None


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise RosterError("emails", _("%(value)s is not an email address.", value=value[:80])) from None


def clean(given: OrgInput) -> Cleaned:
    """Check and normalise one organisation.

    :raises RosterError: naming the first field that breaks a rule.
    """
    name = " ".join(given.name.split())
    if not name:
        raise RosterError("name", _("Enter the organisation's name."))
    others = [" ".join(n.split()) for n in re.split(r"[\n;]", given.other_names or "") if n.strip()]
    for value in (name, *others):
        if len(value) > 300:
            raise RosterError("name", _("A name may have at most 300 characters."))
        if message := name_error(value):
            raise RosterError("name", message)
    country = country_code(given.country)
    if country is None:
        raise RosterError("country", _("Unknown country: give its two-letter code or its English name."))
    website = normalise_website(given.website or "")
    if message := website_error(website):
        raise RosterError("website", message)
    emails = [_email(value) for value in split(given.emails)]
    language = (given.language or "en").strip()
    language = language[:2].lower() + language[2:]
    if not known(language):
        raise RosterError("language", _("Unknown language: give a code such as en, fr or pt-BR."))
    tags = [tag.casefold() for tag in split(given.tags)]
    if bad := [tag for tag in tags if not TAG.match(tag)]:
        raise RosterError("tags", _("A tag is one word of letters, digits and hyphens: %(tag)s",
                                    tag=bad[0][:40]))
    domains = [d.lower().lstrip("@") for d in split(given.domains)]
    if bad := [d for d in domains if not DOMAIN.match(d)]:
        raise RosterError("domains", _("%(value)s is not an email domain.", value=bad[0][:80]))
    return Cleaned(name, country, website, emails, language, list(dict.fromkeys(tags)), others,
                   list(dict.fromkeys(domains)))


def find(session: Session, name: str) -> Organisation | None:
    """The organisation whose name is ``name`` (compared as signatures compare names)."""
    return session.scalars(select(Organisation).where(Organisation.name_key == name_key(name))).one_or_none()


def apply(session: Session, org: Organisation | None, row: Cleaned) -> tuple[Organisation, bool]:
    """Create ``row``, or update ``org`` from it, inside the caller's transaction.

    :returns: the organisation, and True if it was created.
    """
    created = org is None
    if org is None:
        org = Organisation(name=row.name, name_key=name_key(row.name))
        session.add(org)
    org.name, org.name_key = row.name, name_key(row.name)
    org.country, org.website, org.language = row.country, row.website, row.language
    org.tags = f" {' '.join(row.tags)} " if row.tags else ""
    org.domains = " ".join(row.domains)
    org.other_names = "\n".join(row.other_names)
    org.updated_at = utcnow()
    session.flush()
    contacts.replace(session, org.id, row.emails)
    return org, created


def save(given: OrgInput, actor: audit.Actor, org_id: int | None = None) -> Organisation:
    """Create an organisation, or change ``org_id``; audited.

    :raises RosterError: a field breaks a rule, or another organisation has that name.
    """
    row = clean(given)
    with write() as session:
        org = session.get(Organisation, org_id) if org_id else None
        same = find(session, row.name)
        if same is not None and same is not org:
            raise RosterError("name", _("Another organisation of the roster has this name."))
        org, created = apply(session, org, row)
        audit.record(session, actor, "organisation_created" if created else "organisation_edited",
                     detail=f"#{org.id} {org.name}")
        return org


def delete(org_id: int, actor: audit.Actor) -> bool:
    """Remove an organisation (its contacts and invitations go with it); audited."""
    with write() as session:
        org = session.get(Organisation, org_id)
        if org is None:
            return False
        audit.record(session, actor, "organisation_deleted", detail=f"#{org.id} {org.name}")
        session.delete(org)
        return True


@dataclass(frozen=True)
class Selection:
    """Which organisations: by tag, by country, by text, or by hand (ids)."""

    tag: str = ""
    country: str = ""
    q: str = ""
    ids: tuple[int, ...] = ()


def select_query(chosen: Selection):
    query = select(Organisation)
    if chosen.tag:
        query = query.where(Organisation.tags.contains(f" {chosen.tag.casefold()} ", autoescape=True))
    if chosen.country:
        query = query.where(Organisation.country == chosen.country.upper())
    if chosen.q:
        pattern = f"%{escape_like(chosen.q.casefold())}%"
        query = query.where(or_(func.lower(Organisation.name).like(pattern, escape="\\"),
                                func.lower(Organisation.other_names).like(pattern, escape="\\")))
    if chosen.ids:
        query = query.where(Organisation.id.in_(chosen.ids))
    return query.order_by(Organisation.name_key, Organisation.id)


def organisations(chosen: Selection = Selection()) -> list[Organisation]:
    return list(db.session.scalars(select_query(chosen)))


def all_tags() -> list[str]:
    """Every tag in use, for the filters' choices."""
    return sorted({tag for tags in db.session.scalars(select(Organisation.tags)) for tag in tags.split()})


def merge(keep_id: int, drop_id: int, actor: audit.Actor) -> Organisation:
    """Merge the duplicate ``drop_id`` into ``keep_id``: its name becomes another name, its
    addresses, domains and tags are added, empty fields are filled, and its invitations move
    (where ``keep_id`` has none for that statement). Audited.

    :raises RosterError: the same organisation twice, or one of them is gone.
    """
    if keep_id == drop_id:
        raise RosterError("drop", _("Choose two different organisations."))
    with write() as session:
        keep, drop = session.get(Organisation, keep_id), session.get(Organisation, drop_id)
        if keep is None or drop is None:
            raise RosterError("drop", _("This organisation is no longer in the roster."))
        names = [*keep.other_name_list, drop.name, *drop.other_name_list]
        keep.other_names = "\n".join(n for n in dict.fromkeys(names) if name_key(n) != keep.name_key)
        keep.country = keep.country or drop.country
        keep.website = keep.website or drop.website
        keep.domains = " ".join(dict.fromkeys([*keep.domain_list, *drop.domain_list]))
        tags = list(dict.fromkeys([*keep.tag_list, *drop.tag_list]))
        keep.tags = f" {' '.join(tags)} " if tags else ""
        emails = [*contacts.addresses(keep.id, session), *contacts.addresses(drop.id, session)]
        taken = set(session.scalars(select(Invitation.statement_id).where(
            Invitation.organisation_id == keep.id)))
        session.execute(update(Invitation).where(
            Invitation.organisation_id == drop.id, Invitation.statement_id.not_in(taken or {-1}))
            .values(organisation_id=keep.id).execution_options(synchronize_session=False))
        audit.record(session, actor, "organisations_merged", detail=f"#{drop.id} {drop.name} → #{keep.id}",
                     before=drop.name, after=keep.name)
        session.delete(drop)
        session.flush()
        contacts.replace(session, keep.id, emails)
        keep.updated_at = utcnow()
        return keep
