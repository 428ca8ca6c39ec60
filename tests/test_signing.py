"""The signing services without HTTP: sign, confirm, withdraw, moderate, and what counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fast_app import fast_app, fast_module_app  # noqa: F401
from sqlalchemy import select, update
from waits import start_blocked

from portal import tokens
from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, Signature, SignatureState, Statement, utcnow
from portal.signatures import signer, signing
from portal.signatures.signing import Outcome, SigningError, SignRequest
from portal.statements.reading import signatories


@pytest.fixture
def ctx(app):
    """Run the test body inside an application context, as the CLI and views do."""
    with app.app_context():
        yield app


def request_for(sid: int, **fields) -> SignRequest:
    values = {"statement_id": sid, "kind": "organisation", "name": "Reporters United",
              "country": "FR", "email": "ana@reporters.example.org", "lang": "en",
              "signer_name": "Ana Pérez", "role": "Director", "authorised": True}
    values.update(fields)
    return SignRequest(**values)


def sign(sid: int, **fields) -> Signature:
    """Sign and return the row the signature lives in."""
    req = request_for(sid, **fields)
    signing.sign(req)
    from portal.text import canonical_email

    return row(sid, canonical_email(req.email))


def row(sid: int, canonical: str) -> Signature:
    """The newest row of this address on this statement."""
    db.session.rollback()  # a fresh snapshot, not the one an earlier read began
    return db.session.scalars(select(Signature).where(
        Signature.statement_id == sid, Signature.email_canonical == canonical)
        .order_by(Signature.id.desc()).limit(1)).one()


def stored(sid: int) -> Statement:
    db.session.rollback()
    return db.session.get(Statement, sid)


def counts(sid: int) -> tuple[int, int, int, int]:
    st = stored(sid)
    return st.count_total, st.count_organisations, st.count_individuals, st.count_countries


def mails() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def n_signatures() -> int:
    return db.session.scalar(select(db.func.count()).select_from(Signature))


def confirm(signature: Signature) -> Outcome:
    return signer.confirm(tokens.make("confirm", signature.uid))


def withdraw(signature: Signature) -> Outcome:
    return signer.withdraw(tokens.make("withdraw", signature.uid))


def listed_names(sid: int) -> list[str]:
    return [s.name for s in signatories(stored(sid), limit=1000).rows]


def set_state(signature_id: int, state: str) -> None:
    db.session.execute(update(Signature).where(Signature.id == signature_id).values(state=state))
    db.session.commit()


# --- taking a signature --------------------------------------------------------------------


def test_new_signature_is_pending_with_one_confirmation_email(ctx, make_statement):
    sid = make_statement()
    signature = sign(sid, email="Ana.Perez+statements@Reporters.example.org", name="  Reporters United ")
    assert signature.state == SignatureState.pending
    assert signature.name == "Reporters United"
    assert signature.email_canonical == "ana.perez@reporters.example.org"
    assert signature.confirmation_sends == 1 and signature.confirmed_at is None
    assert counts(sid) == (0, 0, 0, 0)
    [mail] = mails()
    assert mail.to_addr == "Ana.Perez+statements@Reporters.example.org"
    assert "Free the reporters" in mail.subject
    assert f"/confirm/{tokens.make('confirm', signature.uid)}" in mail.body
    assert f"/withdraw/{tokens.make('withdraw', signature.uid)}" in mail.body
    events = db.session.scalars(select(ModerationEvent)).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [("signed", None, "pending")]


@pytest.mark.parametrize("first, again", [
    ("ana@reporters.example.org", "ANA@REPORTERS.EXAMPLE.ORG"),
    ("ana@reporters.example.org", "ana+second-try@reporters.example.org"),
    ("ana+one@reporters.example.org", "Ana+Two@Reporters.Example.Org"),
    ("ana@reporters.example.org", " ana@reporters.example.org. "),
    ("ana.perez@gmail.com", "anaperez@gmail.com"),
    ("ana.perez@gmail.com", "a.n.a.p.e.r.e.z@GMAIL.com"),
    ("ana.perez@gmail.com", "AnaPerez+petition@googlemail.com"),
    ("a.n.a@googlemail.com", "ana@gmail.com"),
])
def test_same_canonical_email_and_organisation_is_one_signature(ctx, make_statement, first, again):
    """Nothing binds before confirmation: the second submission's fields replace the first's,
    and its email offers what was submitted last."""
    sid = make_statement()
    sign(sid, email=first, name="Reporters United")
    signing.sign(request_for(sid, email=again, name="  REPORTERS   united", country="KE",
                             visibility="hidden"))
    assert n_signatures() == 1
    only = db.session.scalars(select(Signature)).one()
    assert (only.name, only.country, only.visibility) == ("REPORTERS   united", "KE", "hidden")
    sent = mails()
    assert [m.to_addr for m in sent] == [first.strip(), again.strip()]
    assert "Kenya" in sent[1].body and "Count it, but do not list it" in sent[1].body
    assert f"/confirm/{tokens.make('confirm', only.uid)}" in sent[1].body


@pytest.mark.parametrize("first, other", [
    ("ana.perez@reporters.example.org", "anaperez@reporters.example.org"),  # dots matter off Gmail
    ("ana@reporters.example.org", "ana@reporters.example.net"),
    ("ana@gmail.com", "ana@gmail.co"),
])
def test_different_canonical_emails_are_two_signatures(ctx, make_statement, first, other):
    sid = make_statement()
    signing.sign(request_for(sid, email=first))
    signing.sign(request_for(sid, email=other))
    assert n_signatures() == 2


def test_one_address_may_sign_for_several_organisations_each_confirmed(ctx, make_statement):
    sid = make_statement()
    for name in ("Reporters United", "Press Union"):
        signing.sign(request_for(sid, name=name))
    rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [r.name for r in rows] == ["Reporters United", "Press Union"]
    assert [m.body.count("/confirm/") for m in mails()] == [1, 1]
    assert confirm(rows[0]) == Outcome.awaiting_moderation
    assert row_by_id(rows[1].id).state == SignatureState.pending  # each needs its own confirmation


def test_organisations_per_address_are_capped_with_an_honest_note(ctx, make_statement):
    ctx.config["SIGN_ORGANISATIONS_PER_ADDRESS"] = 2
    sid = make_statement()
    for name in ("One", "Two", "Three"):
        signing.sign(request_for(sid, name=name))
    assert n_signatures() == 2
    sent = mails()
    assert len(sent) == 3 and "/confirm/" not in sent[2].body
    assert "2 organisations" in sent[2].body


def test_the_same_email_may_sign_two_statements(ctx, make_statement):
    one, two = make_statement("one"), make_statement("two")
    signing.sign(request_for(one))
    signing.sign(request_for(two))
    assert n_signatures() == 2 and len(mails()) == 2


@pytest.mark.parametrize("cap", [1, 4])
def test_emails_to_one_address_about_one_statement_are_capped(ctx, make_statement, cap):
    ctx.config.update(RATELIMIT_ENABLED=True, SIGNER_MAIL_LIMIT=f"{cap}/day")
    ctx.extensions["portal.abuse.ratelimits"].storage.reset()
    sid = make_statement()
    for attempt in range(cap + 4):
        signing.sign(request_for(sid, email=f"ana+{attempt}@reporters.example.org", role=f"Role {attempt}"))
    assert n_signatures() == 1
    assert len(mails()) == cap
    assert row(sid, "ana@reporters.example.org").role == f"Role {cap + 3}"  # the last submission holds


@pytest.mark.parametrize("state_after", ["confirmed", "validated"])
def test_a_confirmed_signature_is_never_changed_by_a_later_submission(ctx, make_statement, state_after):
    sid = make_statement()
    signature = sign(sid)
    set_state(signature.id, state_after)
    signing.sign(request_for(sid, country="KE", visibility="full", role="Impostor"))
    again = row(sid, signature.email_canonical)
    assert (again.state, again.country, again.role) == (state_after, "FR", "Director")
    second = mails()[1]
    assert "/confirm/" not in second.body
    assert f"/signature/{tokens.make('manage', signature.uid)}" in second.body
    assert "Reporters United" in second.body and "Impostor" not in second.body


@pytest.mark.parametrize("state_after", ["withdrawn", "rejected", "fraudulent", "invalidated"])
def test_a_dead_row_never_locks_the_address_out(ctx, make_statement, state_after):
    sid = make_statement()
    signature = sign(sid)
    set_state(signature.id, state_after)
    signing.sign(request_for(sid))
    rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [r.state for r in rows] == [state_after, "pending"]  # the old row stays for the record
    assert f"/confirm/{tokens.make('confirm', rows[1].uid)}" in mails()[-1].body
    assert confirm(rows[1]) == Outcome.awaiting_moderation


def test_signing_again_after_withdrawing_restores_it_in_the_audit_log(ctx, make_statement):
    sid = make_statement(moderation="post")
    first = sign(sid)
    assert confirm(first) == Outcome.counted
    assert withdraw(first) == Outcome.withdrawn and counts(sid)[0] == 0
    assert withdraw(first) == Outcome.already_withdrawn
    signing.sign(request_for(sid))
    second = db.session.scalars(select(Signature).where(Signature.state == "pending")).one()
    assert confirm(second) == Outcome.counted and counts(sid)[0] == 1
    actions = db.session.scalars(select(ModerationEvent.action).where(
        ModerationEvent.signature_id == second.id).order_by(ModerationEvent.id)).all()
    assert actions == ["signed", "confirmed", "restored"]


def row_by_id(ident: int) -> Signature:
    db.session.rollback()
    return db.session.get(Signature, ident)


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("fields", [
    {"state": "draft"},
    {"state": "closed"},
    {"state": "archived"},
    {"state": "published", "deadline_at": utcnow() - timedelta(seconds=1)},
    {"state": "collecting", "deadline_at": utcnow() - timedelta(days=2)},
    {"state": "published", "paused": True},
], ids=["draft", "closed", "archived", "deadline-passed", "collecting-deadline-passed", "paused"])
def test_closed_paused_or_expired_statements_refuse(ctx, make_statement, fields):
    sid = make_statement(**fields)
    with pytest.raises(SigningError) as refused:
        signing.sign(request_for(sid))
    assert refused.value.field is None and refused.value.message
    assert n_signatures() == 0 and mails() == []


def test_instance_wide_pause_refuses(ctx, make_statement):
    sid = make_statement()
    ctx.config["SIGNING_PAUSED"] = True
    with pytest.raises(SigningError, match="paused"):
        signing.sign(request_for(sid))
    assert n_signatures() == 0


def test_missing_statement_refuses(ctx, make_statement):
    with pytest.raises(SigningError):
        signing.sign(request_for(9999))


@pytest.mark.parametrize("statement_fields, req_fields, field", [
    ({}, {"kind": "individual"}, "kind"),
    ({"allow_individuals": True, "allow_organisations": False}, {"kind": "organisation"}, "kind"),
    ({"allow_individuals": True}, {"kind": "robot"}, "kind"),
    ({}, {"authorised": False}, "authorised"),
    ({}, {"country": "XX"}, "country"),
    ({}, {"country": ""}, "country"),
    ({}, {"country": "fr"}, "country"),
    ({}, {"visibility": "secret"}, "visibility"),
])
def test_invalid_requests_name_the_field(ctx, make_statement, statement_fields, req_fields, field):
    sid = make_statement(**statement_fields)
    with pytest.raises(SigningError) as refused:
        signing.sign(request_for(sid, **req_fields))
    assert refused.value.field == field and str(refused.value)
    assert n_signatures() == 0 and mails() == []


def test_individuals_sign_where_allowed(ctx, make_statement):
    sid = make_statement(allow_individuals=True, moderation="post", require_confirmation=False)
    sign(sid, kind="individual", name="Jonas Berg", authorised=False, email="jonas@example.org")
    sign(sid, email="org@example.org", country="KE")
    assert counts(sid) == (2, 1, 1, 2)


# --- confirming ------------------------------------------------------------------------------


@pytest.mark.parametrize("moderation, outcome, state, counted", [
    ("pre", Outcome.awaiting_moderation, SignatureState.confirmed, 0),
    ("post", Outcome.counted, SignatureState.validated, 1),
])
def test_confirm_is_idempotent(ctx, make_statement, moderation, outcome, state, counted):
    sid = make_statement(moderation=moderation)
    signature = sign(sid)
    version = stored(sid).version
    assert [confirm(signature) for _ in range(4)] == [outcome] * 4
    again = row(sid, signature.email_canonical)
    assert again.state == state and again.confirmed_at is not None
    assert counts(sid) == (counted, counted, 0, counted)
    assert stored(sid).version == version + counted
    confirmations = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "confirmed")).all()
    assert [(e.from_state, e.to_state) for e in confirmations] == [("pending", state)]


@pytest.mark.parametrize("token", ["", "nonsense", "abc.def", "x" * 200, "..", "a.b.c"])
def test_bad_tokens_are_invalid(ctx, make_statement, token):
    sign(make_statement())
    assert signer.confirm(token) == Outcome.invalid
    assert signer.withdraw(token) == Outcome.invalid


def test_tokens_are_bound_to_their_purpose_and_signature(ctx, make_statement):
    sid = make_statement(moderation="post")
    signature = sign(sid)
    assert signer.confirm(tokens.make("withdraw", signature.uid)) == Outcome.invalid
    assert signer.withdraw(tokens.make("confirm", signature.uid)) == Outcome.invalid
    assert signer.confirm(tokens.make("confirm", "no-such-uid")) == Outcome.invalid
    forged = signature.uid + "." + tokens.make("confirm", signature.uid).rpartition(".")[2][:-2] + "AA"
    assert signer.confirm(forged) == Outcome.invalid
    assert row(sid, signature.email_canonical).state == SignatureState.pending
    assert counts(sid) == (0, 0, 0, 0)


@pytest.mark.parametrize("state", ["withdrawn", "rejected", "invalidated"])
def test_confirm_after_a_final_state_does_nothing(ctx, make_statement, state):
    sid = make_statement(moderation="post")
    signature = sign(sid)
    set_state(signature.id, state)
    assert confirm(signature) == Outcome.invalid
    assert row(sid, signature.email_canonical).state == state
    assert counts(sid) == (0, 0, 0, 0)


def test_confirming_a_fraudulent_signature_looks_normal_but_counts_nothing(ctx, make_statement):
    sid = make_statement(moderation="post")
    signature = sign(sid)
    set_state(signature.id, "fraudulent")
    assert confirm(signature) == Outcome.awaiting_moderation
    assert row(sid, signature.email_canonical).state == "fraudulent"
    assert signing.moderate(signature.id, approve=True) is False
    assert counts(sid) == (0, 0, 0, 0) and listed_names(sid) == []


@pytest.mark.parametrize("moderation, state, counted", [
    ("pre", SignatureState.confirmed, 0),
    ("post", SignatureState.validated, 1),
])
def test_without_required_confirmation_a_status_note_is_sent(ctx, make_statement, moderation, state, counted):
    """No confirmation to ask for, but still one honest email: what happened, and the links."""
    sid = make_statement(moderation=moderation, require_confirmation=False)
    signature = sign(sid)
    assert signature.state == state and signature.confirmed_at is not None
    [note] = mails()
    assert "/confirm/" not in note.body and f"/withdraw/{tokens.make('withdraw', signature.uid)}" in note.body
    assert counts(sid)[0] == counted
    signing.sign(request_for(sid, email="ANA@reporters.example.org"))
    assert len(mails()) == 2 and n_signatures() == 1 and counts(sid)[0] == counted


# --- withdrawing -----------------------------------------------------------------------------


@pytest.mark.parametrize("steps, before", [
    ([], (0, 0, 0, 0)),
    (["confirm"], (0, 0, 0, 0)),
    (["confirm", "approve"], (1, 1, 0, 1)),
])
def test_withdraw_from_any_live_state(ctx, make_statement, steps, before):
    sid = make_statement()
    signature = sign(sid)
    if "confirm" in steps:
        confirm(signature)
    if "approve" in steps:
        assert signing.moderate(signature.id, approve=True)
    assert counts(sid) == before
    assert listed_names(sid) == (["Reporters United"] if before[0] else [])
    assert withdraw(signature) == Outcome.withdrawn
    assert withdraw(signature) == Outcome.already_withdrawn
    assert row(sid, signature.email_canonical).state == SignatureState.withdrawn
    assert counts(sid) == (0, 0, 0, 0) and listed_names(sid) == []
    assert confirm(signature) == Outcome.invalid
    assert signing.moderate(signature.id, approve=True) is False
    assert counts(sid) == (0, 0, 0, 0)
    withdrawals = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "withdrawn")).all()
    assert len(withdrawals) == 1


# --- moderating ------------------------------------------------------------------------------


def test_approve_then_reject_and_their_audit_trail(ctx, make_statement):
    sid = make_statement()
    signature = sign(sid)
    assert signing.moderate(signature.id, approve=True) is False  # not confirmed yet
    confirm(signature)
    assert counts(sid) == (0, 0, 0, 0)
    assert signing.moderate(signature.id, approve=True, actor="cli") is True
    assert signing.moderate(signature.id, approve=True) is False
    assert counts(sid) == (1, 1, 0, 1) and listed_names(sid) == ["Reporters United"]
    assert signing.moderate(signature.id, approve=False, reason="impersonation") is True
    assert signing.moderate(signature.id, approve=False) is False
    assert signing.moderate(signature.id, approve=True) is False
    assert counts(sid) == (0, 0, 0, 0) and listed_names(sid) == []
    trail = db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id)).all()
    assert [(e.action, e.from_state, e.to_state, e.actor_label) for e in trail] == [
        ("signed", None, "pending", "signer"),
        ("confirmed", "pending", "confirmed", "signer"),
        ("approved", "confirmed", "validated", "cli"),
        ("rejected", "validated", "rejected", "coordinator"),
    ]
    assert trail[-1].detail == "impersonation"


def test_reject_a_confirmed_signature_never_counts_it(ctx, make_statement):
    sid = make_statement()
    signature = sign(sid)
    confirm(signature)
    assert signing.moderate(signature.id, approve=False) is True
    assert counts(sid) == (0, 0, 0, 0)
    assert confirm(signature) == Outcome.invalid


def test_moderating_a_missing_signature_is_false(ctx, make_statement):
    make_statement()
    assert signing.moderate(4242, approve=True) is False


# --- what counts and what shows --------------------------------------------------------------


def test_launch_signatories_are_those_signed_while_collecting(ctx, make_statement):
    collecting = make_statement("early", state="collecting", moderation="post", require_confirmation=False)
    published = make_statement("later", moderation="post", require_confirmation=False)
    assert sign(collecting).launch is True
    assert sign(published).launch is False


@pytest.mark.parametrize("visibility, listed", [("full", True), ("country", True), ("hidden", False)])
def test_every_visibility_counts_but_hidden_is_not_listed(ctx, make_statement, visibility, listed):
    sid = make_statement(moderation="post", require_confirmation=False)
    signature = sign(sid, visibility=visibility)
    assert counts(sid) == (1, 1, 0, 1 if listed else 0)  # a hidden one is in the total only
    rows = signatories(stored(sid), limit=10).rows
    assert [r.id for r in rows] == ([signature.id] if listed else [])


def test_only_validated_signatures_count_or_show(ctx, make_statement):
    sid = make_statement(moderation="pre", allow_individuals=True)
    people = {state: sign(sid, name=f"Group {state}", email=f"{state}@example.org", country=country)
              for state, country in [("pending", "FR"), ("confirmed", "KE"), ("validated", "BR"),
                                     ("rejected", "IN"), ("withdrawn", "JP"), ("fraudulent", "MX"),
                                     ("invalidated", "NO")]}
    for state, signature in people.items():
        if state != "pending":
            confirm(signature)
        if state in ("validated", "rejected", "invalidated"):
            signing.moderate(signature.id, approve=True)
        if state == "rejected":
            signing.moderate(signature.id, approve=False)
        if state == "withdrawn":
            withdraw(signature)
        if state in ("fraudulent", "invalidated"):
            set_state(signature.id, state)
    assert {s.name: s.state for s in db.session.scalars(select(Signature))} == {
        f"Group {state}": state for state in people}
    assert listed_names(sid) == ["Group validated"]
    from portal.signatures.counts import reconcile

    assert [(d.stored, d.actual) for d in reconcile(db.session, repair=False)] == [
        ((2, 2, 0, 2), (1, 1, 0, 1))]  # the raw invalidation above bypassed the tallies


def test_counts_by_kind_and_country(ctx, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False, allow_individuals=True)
    for i, (kind, country) in enumerate([("organisation", "FR"), ("organisation", "FR"),
                                         ("individual", "FR"), ("individual", "KE"),
                                         ("organisation", "BR")]):
        sign(sid, kind=kind, country=country, email=f"s{i}@example.org", name=f"Signer {i}")
    assert counts(sid) == (5, 3, 2, 3)
    withdraw(row(sid, "s4@example.org"))
    assert counts(sid) == (4, 2, 2, 2)
    withdraw(row(sid, "s3@example.org"))
    assert counts(sid) == (3, 2, 1, 1)
    from portal.signatures.counts import reconcile

    assert reconcile(db.session, repair=False) == []


def test_country_only_signatories_sort_last(ctx, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False, allow_individuals=True)
    for name, visibility, country in [("Aardvark Alliance", "country", "AF"),
                                      ("Zebra Zone Press", "full", "ZA"),
                                      ("Ångström Society", "full", "SE"),
                                      ("Morning Post", "full", "GB"),
                                      ("Aaron Media", "country", "US"),
                                      ("Beta Hidden", "hidden", "BE"),
                                      ("Élan Vital", "full", "FR")]:
        sign(sid, name=name, visibility=visibility, country=country, email=f"{name[:5]}@example.org")
    rows = signatories(stored(sid), limit=100).rows
    assert [(r.name, r.visibility) for r in rows] == [
        ("Ångström Society", "full"), ("Élan Vital", "full"), ("Morning Post", "full"),
        ("Zebra Zone Press", "full"), ("Aardvark Alliance", "country"), ("Aaron Media", "country")]
    # Paging by keyset walks the same order.
    first = signatories(stored(sid), limit=4)
    rest = signatories(stored(sid), limit=4, cursor=first.next_cursor)
    assert [r.id for r in first.rows + rest.rows] == [r.id for r in rows] and rest.next_cursor is None


def test_country_only_signatories_are_not_found_by_name(ctx, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False)
    sign(sid, name="Secret Sisters", visibility="country", email="a@example.org")
    sign(sid, name="Open Sisters", visibility="full", email="b@example.org")
    assert [r.name for r in signatories(stored(sid), q="sisters").rows] == ["Open Sisters"]


def test_a_rejection_racing_an_approval_keeps_the_count_exact(ctx, make_statement, backend):
    """The approval commits while the rejection waits on the row: the rejection must uncount it."""
    from sqlalchemy import text

    sid = make_statement()
    signature = sign(sid)
    confirm(signature)
    signature_id, canonical = signature.id, signature.email_canonical
    db.session.rollback()
    approver = db.engine.connect()
    approver.begin()
    approver.execute(update(Signature).where(Signature.id == signature_id).values(state="validated"))
    approver.execute(update(Statement).where(Statement.id == sid).values(
        count_total=1, count_organisations=1, count_countries=1))
    approver.execute(text("INSERT INTO country_tallies (statement_id, country, n) VALUES (:s, 'FR', 1)"),
                     {"s": sid})
    results = []

    def reject():
        with ctx.app_context():
            results.append(signing.moderate(signature_id, approve=False))

    rejecter = None
    try:
        rejecter = start_blocked(ctx, reject)
    finally:
        approver.commit()
        approver.close()
        if rejecter is not None:
            rejecter.join(timeout=30)
    assert results == [True]
    assert row(sid, canonical).state == "rejected"
    assert counts(sid) == (0, 0, 0, 0)
    from portal.signatures.counts import reconcile

    assert reconcile(db.session, repair=False) == []


def test_a_nested_write_joins_the_outer_transaction(ctx, make_statement):
    from portal.database import write

    sid = make_statement(moderation="post", require_confirmation=False)
    with pytest.raises(RuntimeError, match="undo"):
        with write():
            signing.sign(request_for(sid))  # its own write() joins this one
            raise RuntimeError("undo everything")
    assert n_signatures() == 0 and counts(sid) == (0, 0, 0, 0)
    with write():
        signing.sign(request_for(sid))
        signing.sign(request_for(sid, email="second@example.org"))
    assert n_signatures() == 2 and counts(sid) == (2, 2, 0, 1)
