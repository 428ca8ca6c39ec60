"""What a coordinator may learn about other coordinators' statements (issue 11, finding 1), and
the look-alike and same-address signals (issue 10, item 9).

The attack: a coordinator signs their own statement, renames their row to each guess (or
signs with an address at each guessed domain) and reads the signals in their queue. Only
what the public sees may answer: a name listed in full on a public statement.
"""

from __future__ import annotations

import re

import pytest
from manage_fixtures import add_signature, add_statement, text_of

from portal.extensions import db
from portal.models import ModerationEvent, Signature
from portal.signatures import signals

# Another coordinator's signatures, by what the public sees of them.
UNLISTED = {  # name: (state, visibility, email domain)
    "Hidden Watch Collective": ("validated", "hidden", "hidden-watch.example"),
    "Country Only Union": ("validated", "country", "country-only.example"),
    "Pending Herald Network": ("pending", "full", "pending-herald.example"),
    "Awaiting Observer Trust": ("confirmed", "full", "awaiting-observer.example"),
    "Rejected Courier Group": ("rejected", "full", "rejected-courier.example"),
    "Withdrawn Gazette Fund": ("withdrawn", "full", "withdrawn-gazette.example"),
    "Fraudulent Tribune Desk": ("fraudulent", "full", "fraudulent-tribune.example"),
    "Invalidated Bulletin Org": ("invalidated", "full", "invalidated-bulletin.example"),
}
ON_PRIVATE_STATEMENT = ("Collecting Validated Voice", "collecting-voice.example")  # listed, not public
LISTED = ("Listed Press Guild", "listed-press.example")
CONTROLS = ["Nobody Signed This Name", "Imaginary Media Circle"]


@pytest.fixture
def world(app, people):
    theirs = add_statement(app, "their-public", people.other)
    for name, (state, visibility, domain) in UNLISTED.items():
        add_signature(app, theirs, name, f"desk@{domain}", state=state, visibility=visibility)
    add_signature(app, theirs, LISTED[0], f"desk@{LISTED[1]}", state="validated")
    hidden_draft = add_statement(app, "their-quiet-campaign", people.other, state="collecting")
    add_signature(app, hidden_draft, ON_PRIVATE_STATEMENT[0], f"desk@{ON_PRIVATE_STATEMENT[1]}",
                  state="validated")
    mine = add_statement(app, "mine", people.owner)  # the newest: the others are "earlier"
    decoy = add_signature(app, mine, "Decoy Row", "me@attacker.example")
    return mine, decoy


def signals_of(html: str, signature_id: int) -> str:
    """The signals list of one row of the queue."""
    row = html[html.index(f'id="signature-{signature_id}"'):]
    row = row[:row.index("</article>")]
    found = re.search(r'<ul class="signals".*?</ul>', row, re.S)
    assert found, "no signals shown"
    return found.group(0)


def rename(auth, signature_id: int, name: str) -> None:
    response = auth.post(f"/manage/signatures/{signature_id}/edit",
                         {"name": name, "signer_name": "Sam Signer", "note": "guess"},
                         page=f"/manage/signatures/{signature_id}/edit")
    assert response.status_code == 303, text_of(response)


def test_renaming_ones_own_row_to_guesses_learns_nothing_unlisted(app, client, auth, world):
    mine, decoy = world
    auth.login()
    queue = f"/manage/statements/{mine}/moderation"
    answers = {}
    guesses = [*UNLISTED, ON_PRIVATE_STATEMENT[0], *CONTROLS]
    for guess in guesses:
        rename(auth, decoy, guess)
        shown = signals_of(text_of(client.get(queue)), decoy)
        answers[guess] = shown.replace(guess, "GUESS")
        assert "Similar names" not in shown and "do not manage" not in shown, guess
        assert "their-" not in shown, guess
    # Every guess, real or made up, got the very same answer: nothing to tell them apart.
    assert len(set(answers.values())) == 1, answers
    assert len(guesses) == 11  # the figure in SECURITY.md: 11 guesses, 0 answers

    rename(auth, decoy, LISTED[0])  # what the public sees on a public statement does answer
    shown = signals_of(text_of(client.get(queue)), decoy)
    assert f"Similar names: {LISTED[0]} (their-public, approved)" in " ".join(shown.split())


def test_signing_with_guessed_domains_learns_nothing(app, client, auth, world):
    mine, _decoy = world
    domains = [domain for _s, _v, domain in UNLISTED.values()]
    domains += [ON_PRIVATE_STATEMENT[1], LISTED[1], "never-signed.example"]
    assert len(domains) == 11  # the figure in SECURITY.md: with the 11 names, 22 guesses, 0 answers
    rows = {domain: add_signature(app, mine, f"Probe {i}", f"probe{i}@{domain}")
            for i, domain in enumerate(domains)}
    auth.login()
    html = text_of(client.get(f"/manage/statements/{mine}/moderation"))
    for domain, ident in rows.items():
        shown = signals_of(html, ident)
        # Even a listed signatory's email domain is private: no same-domain match elsewhere.
        assert "Same email domain" not in shown and "their-" not in shown, domain
        assert "No website to compare the email domain with." in shown


def test_administrators_keep_the_full_view(app, client, auth, world):
    mine, decoy = world
    auth.login("admin@example.org")
    rename(auth, decoy, "Hidden Watch Collective")
    add_signature(app, mine, "Probe", "probe@pending-herald.example")
    html = text_of(client.get(f"/manage/statements/{mine}/moderation"))
    assert "Hidden Watch Collective (their-public, approved)" in " ".join(signals_of(html, decoy).split())
    assert "Same email domain:" in html and "Pending Herald Network" in html


def test_look_alike_names_raise_the_similar_names_signal(app, client, auth, people):
    """Issue 10, item 9: a right-to-left override, Cyrillic letters and zero-width spaces."""
    theirs = add_statement(app, "their-public", people.other)
    add_signature(app, theirs, "Reporters Without Borders", "press@rsf.example", state="validated")
    mine = add_statement(app, "mine", people.owner)
    fakes = {
        "cyrillic": add_signature(app, mine, "R\u0435p\u043erters Without B\u043erders", "a@x1.example"),
        "zero-width": add_signature(app, mine, "Rep\u200borters With\u200bout Borders", "a@x2.example"),
        "override": add_signature(app, mine, "\u202eReporters Without Borders\u202c", "a@x3.example"),
        "capitals": add_signature(app, mine, "REPORTERS WI\u0422HOUT \u0412ORDERS", "a@x4.example"),
    }
    plain = add_signature(app, mine, "Article Nineteen Coalition", "a@x5.example")
    auth.login()
    html = text_of(client.get(f"/manage/statements/{mine}/moderation"))
    for kind, ident in fakes.items():
        shown = " ".join(signals_of(html, ident).split())
        assert "Similar names:" in shown, kind
        assert "Reporters Without Borders (their-public, approved)" in shown, kind
    assert "Similar names" not in signals_of(html, plain)


def test_group_by_address_counts_organisations_not_spellings():
    class Row:
        def __init__(self, ident, name, email="one@example.org", statement_id=1, state="confirmed"):
            self.id, self.name, self.email_canonical = ident, name, email
            self.statement_id, self.state, self.slug = statement_id, state, "s"

    rows = [Row(1, "Press Union"), Row(2, "Media Watch"), Row(3, "Media\u200b Watch", state="pending"),
            Row(4, "Free Voices", state="rejected"), Row(5, "Press Union", email="two@example.org"),
            Row(6, "Other Statement Org", statement_id=2)]
    found = signals.group_by_address(rows[:1] + rows[4:5], rows)
    assert [m.name for m in found[1]] == ["Media Watch", "Free Voices"]  # the look-alike counts once
    assert 5 not in found  # alone at its address


def test_the_queue_shows_an_address_signing_for_several_organisations(app, client, auth, people):
    mine = add_statement(app, "mine", people.owner)
    first = add_signature(app, mine, "Press Union", "one@example.org")
    add_signature(app, mine, "Media Watch", "one@example.org")
    auth.login()
    shown = " ".join(signals_of(text_of(client.get(f"/manage/statements/{mine}/moderation")), first).split())
    assert "This address signed for 2 organisations on this statement: Media Watch" in shown


def test_the_audit_filter_names_only_actions_in_reach(app, client, auth, world, people):
    mine, _decoy = world
    with app.app_context():
        theirs = db.session.scalar(db.select(Signature.statement_id).where(Signature.name == LISTED[0]))
        db.session.add(ModerationEvent(statement_id=theirs, action="paused", actor_label="Omar Other"))
        db.session.add(ModerationEvent(statement_id=None, action="site_paused", actor_label="Ada Admin"))
        db.session.add(ModerationEvent(statement_id=mine, action="edited", actor_label="Olga Owner"))
        db.session.commit()
    auth.login()
    options = set(re.findall(r'<option value="([a-z_]+)"', text_of(client.get("/manage/audit"))))
    assert options == {"edited"}
    auth.logout()
    auth.login("admin@example.org")
    options = set(re.findall(r'<option value="([a-z_]+)"', text_of(client.get("/manage/audit"))))
    assert {"edited", "paused", "site_paused"} <= options


NEW = {"title": "Jail no more", "original_lang": "en", "allow_organisations": "y",
       "moderation": "pre", "require_confirmation": "y", "time_zone": "UTC"}


def test_the_address_check_does_not_tell_whose_or_what_statement_uses_it(app, client, auth, world):
    auth.login()
    answers = {}
    for slug in ("their-quiet-campaign", "their-public"):  # another's private one, and a public one
        response = auth.post("/manage/statements/new", NEW | {"slug": slug})
        assert response.status_code == 422
        html = text_of(response)
        free = re.search(rf'name="slug"[^>]*value="({slug}-[a-z2-9]{{4}})"', html).group(1)
        answers[slug] = re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html.replace(slug, "SLUG"))
        assert "This address is not available." in html and "Another statement" not in html
    assert answers["their-quiet-campaign"] == answers["their-public"]
    created = auth.post("/manage/statements/new", NEW | {"slug": free})
    assert created.status_code == 303  # the proposal was free
