"""The house rules of issue 12: one public read model (a paused site says so everywhere), every
setting in config.Defaults and in the README, the public site on its own, and the layout."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from conftest import fresh_schema, make_app
from manage_fixtures import AuthActions, add_statement, make_people, text_of

from portal import config
from portal.accounts.audit import Actor
from portal.statements import site

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
SLUG = "free-the-reporters"


@pytest.fixture
def people(app):
    return make_people(app)


def test_a_paused_site_says_so_on_every_surface(app, client, people):
    sid = add_statement(app, SLUG, people.owner, langs=("en", "fr"))
    assert 'id="sign-form"' in text_of(client.get(f"/en/s/{SLUG}"))
    with app.app_context():
        site.set_signing_paused(True, Actor(people.admin, "Ada Admin"))
    page = text_of(client.get(f"/en/s/{SLUG}"))
    assert 'id="sign-form"' not in page and "Signing is paused for now" in page
    count = client.get(f"/en/s/{SLUG}/count")
    assert count.status_code == 200 and "hx-get" in text_of(count)  # still polling: only paused
    embed = text_of(client.get(f"/fr/s/{SLUG}/embed"))
    assert "#sign-heading" not in embed
    assert json.loads(client.get(f"/api/v1/statements/{SLUG}").data)["signing_open"] is False
    listed = json.loads(client.get("/api/v1/statements").data)["statements"]
    assert [s["signing_open"] for s in listed] == [False]
    html = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    refused = client.post(f"/en/s/{SLUG}/sign", data={"csrf_token": token.group(1), "name": "X"})
    assert refused.status_code == 422 and "Signing is paused for now" in text_of(refused)
    auth = AuthActions(client)
    auth.login()
    panel = text_of(client.get(f"/manage/statements/{sid}"))
    assert "paused on the whole site" in panel
    with app.app_context():
        site.set_signing_paused(False, Actor(people.admin, "Ada Admin"))
    assert 'id="sign-form"' in text_of(client.get(f"/en/s/{SLUG}"))


@pytest.fixture
def public_only(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", WORKSPACE=False)
    with fresh_schema(app, database_url):
        yield app


def test_the_public_site_stands_on_its_own(public_only):
    add_statement(public_only, SLUG, None)
    client = public_only.test_client()
    for path in ("/en/", f"/en/s/{SLUG}", f"/en/s/{SLUG}/signatories", f"/en/s/{SLUG}/count",
                 f"/en/s/{SLUG}/print", f"/en/s/{SLUG}/embed", f"/api/v1/statements/{SLUG}",
                 f"/en/s/{SLUG}/feed.atom", "/en/feed.atom"):
        assert client.get(path).status_code == 200, path
    assert client.get("/manage/").status_code == 404
    assert not any(rule.endpoint.startswith("manage.") for rule in public_only.url_map.iter_rules())


def test_every_default_is_in_the_readme_and_nothing_else_is():
    defaults = {name for name in vars(config.Defaults) if name.isupper()}
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `PORTAL_([A-Z0-9_]+)`", table, re.M))
    assert defaults - listed == set(), "settings missing from the README's table"
    assert listed - defaults <= {"SECRET_KEY", "INSTANCE_PATH"}, "README settings without a default"


def modules() -> list[Path]:
    return sorted(PORTAL.rglob("*.py"))


def test_no_module_is_over_300_lines_and_the_top_holds_at_most_12():
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
    assert len(list(PORTAL.glob("*.py"))) <= 12


def test_every_package_says_what_it_owns_and_no_private_name_crosses_a_module():
    for init in PORTAL.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc.split()) >= 12, f"{init.relative_to(ROOT)} needs a docstring"
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"


PURE = ("text.py", "tokens.py", "languages.py")


def test_pure_rules_import_nothing_request_bound():
    for name in PURE:
        tree = ast.parse((PORTAL / name).read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for alias in node.names} | {node.module or "" for node in ast.walk(tree)
                                                 if isinstance(node, ast.ImportFrom)}
        assert not imported & {"request", "g", "session", "portal.web", "portal.views"}, name
