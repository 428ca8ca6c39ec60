"""Signed mirrors (issue 16): one self-contained HTML file per statement and language, its
Ed25519 signature and the network's public key; ``flask mirror verify`` offline. Run on SQLite
and PostgreSQL. Opening the file in Chromium with the network blocked is tests/e2e/test_mirror_offline.py.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import random
import re
import shutil
import stat
import string
import subprocess
from pathlib import Path

import pytest
from conftest import fresh_schema, make_app
from public_seed import SLUG, seed
from sqlalchemy import insert

from portal.extensions import db
from portal.mirrors import keys, mirror
from portal.models import Signature, Statement
from portal.signatures import signing
from portal.signatures.counts import reconcile
from portal.text import listing_key

ONION = "http://exampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
COUNTRIES = ["FR", "KE", "CO", "DE", "BR", "IN", "NG", "TR", "MX", "PH", "EG", "UA", "RU", "CN", "US",
             "GB", "ES", "IT", "AR", "CL", "ZA", "PK", "BD", "ID", "VN", "TH", "MA", "TN", "DZ", "SN"]


@pytest.fixture
def site(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", ONION_URL=ONION)
    mirror._kept.clear()  # each test builds its own copies
    with fresh_schema(app, database_url):
        yield app


def fetch(client, lang: str = "fr", slug: str = SLUG) -> tuple[bytes, bytes, bytes]:
    """The mirror, its signature and the public key, as a reader downloads them."""
    page = client.get(f"/{lang}/s/{slug}/mirror.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    sig = client.get(f"/{lang}/s/{slug}/mirror.html.sig")
    assert sig.status_code == 200 and sig.mimetype == "text/plain"
    key = client.get("/.well-known/undersigned-signing-key")
    assert key.status_code == 200 and key.get_data(as_text=True).startswith("-----BEGIN PUBLIC KEY-----")
    return page.get_data(), sig.get_data(), key.get_data()


def saved(folder: Path, body: bytes, sig: bytes, key: bytes) -> tuple[Path, Path]:
    folder.mkdir(exist_ok=True)
    (folder / "mirror.html").write_bytes(body)
    (folder / "mirror.html.sig").write_bytes(sig)
    (folder / "key.pem").write_bytes(key)
    return folder / "mirror.html", folder / "key.pem"


def verify(app, *args: str):
    return app.test_cli_runner().invoke(args=["mirror", "verify", *args])


def test_a_mirror_verifies_and_a_one_byte_change_does_not(site, tmp_path):
    seed(site)
    body, sig, key = fetch(site.test_client())
    copy, key_file = saved(tmp_path / "copy", body, sig, key)
    good = verify(site, str(copy), "--key", str(key_file))
    assert good.exit_code == 0 and good.output.startswith("valid: "), good.output
    assert verify(site, str(copy)).exit_code == 0  # this instance's own key, without --key
    # One byte changed anywhere: at the start, in a name, in the count, at the very end.
    name_at = body.index(b"Zeta Press Union")
    count_at = re.search(rb"(\d+) signataires", body).start()
    for where in (0, name_at, count_at, len(body) - 1):
        changed = bytearray(body)
        changed[where] ^= 0x01
        copy.write_bytes(bytes(changed))
        bad = verify(site, str(copy), "--key", str(key_file))
        assert bad.exit_code == 1 and bad.output.startswith("NOT VALID"), where
    copy.write_bytes(body + b"\n")  # one byte added
    assert verify(site, str(copy), "--key", str(key_file)).exit_code == 1
    copy.write_bytes(body)
    forged = bytearray(base64.b64decode(sig))
    forged[10] ^= 0x80
    (tmp_path / "copy" / "mirror.html.sig").write_bytes(base64.b64encode(bytes(forged)))
    assert verify(site, str(copy), "--key", str(key_file)).exit_code == 1
    other_key = tmp_path / "other.pem"
    other_key.write_text(keys.public_pem(keys.SigningKey.generate().verify_key))
    (tmp_path / "copy" / "mirror.html.sig").write_bytes(sig)
    assert verify(site, str(copy), "--key", str(other_key)).exit_code == 1  # someone else's key
    for junk in (b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"):
        other_key.write_bytes(junk)
        refused = verify(site, str(copy), "--key", str(other_key))
        assert refused.exit_code == 1 and "Error:" in refused.output and "Traceback" not in refused.output
    missing = verify(site, str(tmp_path / "nowhere.html"))
    assert missing.exit_code == 1 and "cannot read the copy" in missing.output


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_a_mirror_with_the_published_key(site, tmp_path):
    """Nobody needs this software to check a copy: the key is a standard PEM."""
    seed(site)
    body, sig, key = fetch(site.test_client(), lang="ar")
    copy, key_file = saved(tmp_path / "copy", body, sig, key)
    raw = tmp_path / "sig.bin"
    raw.write_bytes(base64.b64decode(sig))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key_file), "-rawin",
               "-in", str(copy), "-sigfile", str(raw)]
    assert subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    copy.write_bytes(body.replace(b"Zeta", b"ZETA", 1))
    assert subprocess.run(command, capture_output=True, timeout=30).returncode != 0


def test_the_mirror_holds_every_published_text_and_only_the_public_list(site):
    seeded = seed(site)
    response = site.test_client().get(f"/fr/s/{SLUG}/mirror.html")
    html = response.get_data(as_text=True)
    for text in ("Libérez les reporters", "Free the reporters", "أطلقوا سراح الصحفيين"):
        assert text in html
    assert "Liberad a los periodistas" not in html and "Borrador" not in html  # a draft translation
    for name in seeded.listed_names:
        assert name in html
    for secret in (*seeded.unlisted_names, *seeded.emails, *seeded.secrets):
        assert secret not in html, secret
    assert "7 signataires" in html and "de 4 pays" in html
    assert "Une organisation (Kenya)" in html and "Une personne (Allemagne)" in html
    assert f"{ONION}/fr/s/{SLUG}" in html and f"http://localhost/fr/s/{SLUG}" in html
    # The reader's language is shown first (it is last in the file, which the CSS shows by default).
    texts = re.findall(r'<article class="text" id="text-(\w+)"', html)
    assert texts[-1] == "fr" and sorted(texts) == ["ar", "en", "fr"]
    assert re.search(r'<a href="#text-ar" hreflang="ar"', html)


def test_the_mirror_asks_for_nothing_and_its_csp_allows_only_its_own_style(site):
    seed(site)
    response = site.test_client().get(f"/en/s/{SLUG}/mirror.html")
    html = response.get_data(as_text=True)
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<iframe" not in html.lower()
    assert not re.search(r"\b(src|srcset|action|poster|data)=", html)
    assert re.findall(r"<link [^>]*>", html) == ['<link rel="icon" href="data:,">']
    assert "url(" not in html and "@import" not in html
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(styles) == 1
    digest = "sha256-" + base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"style-src '{digest}'" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert f"style-src &#39;{digest}&#39;" in html  # the same policy travels inside the saved file
    assert 'style="' not in html  # no inline style attribute (the hash would not cover it)


def test_the_mirror_is_built_once_per_state_and_the_same_in_every_worker(site):
    sid = seed(site).statement_id
    client = site.test_client()
    first = client.get(f"/en/s/{SLUG}/mirror.html")
    tag = first.headers["ETag"]
    assert client.get(f"/en/s/{SLUG}/mirror.html", headers={"If-None-Match": tag}).status_code == 304
    assert client.get(f"/en/s/{SLUG}/mirror.html.sig", headers={"If-None-Match": tag}).status_code == 304
    assert len(mirror._kept) == 1
    sig = client.get(f"/en/s/{SLUG}/mirror.html.sig").get_data()
    mirror._kept.clear()  # another worker, which has built nothing yet
    again = client.get(f"/en/s/{SLUG}/mirror.html")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == tag
    assert client.get(f"/en/s/{SLUG}/mirror.html.sig").get_data() == sig
    with site.app_context():
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name="Newcomer Press",
                                         country="FR", email="new@newcomer.example", lang="en",
                                         authorised=True, signer_name="N"))
    changed = client.get(f"/en/s/{SLUG}/mirror.html")
    assert changed.headers["ETag"] != tag and "Newcomer Press" in changed.get_data(as_text=True)
    assert "8 signatories" in changed.get_data(as_text=True)


def test_only_a_public_statement_has_a_mirror(site):
    seeded = seed(site)
    client = site.test_client()
    for slug in (f"{SLUG}-collecting", f"{SLUG}-draft", "nothing", "bad%00slug"):
        assert client.get(f"/en/s/{slug}/mirror.html").status_code == 404, slug
        assert client.get(f"/en/s/{slug}/mirror.html.sig").status_code == 404, slug
    key = f"?key={seeded.private_key}"
    assert client.get(f"/en/s/{SLUG}-collecting/mirror.html{key}").status_code == 404
    assert client.get(f"/zz-!!/s/{SLUG}/mirror.html").status_code == 404
    assert client.get(f"/en/s/{SLUG}-closed/mirror.html").status_code == 200


def test_the_signing_key_is_private_and_stable(site, tmp_path):
    client = site.test_client()
    pem = client.get("/.well-known/undersigned-signing-key").get_data()
    path = Path(site.instance_path) / keys.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.load_public(pem) == keys.signing_key(site.instance_path).verify_key
    keys._keys.clear()  # a restarted worker reads the same key back
    assert client.get("/.well-known/undersigned-signing-key").get_data() == pem
    assert [p.name for p in Path(site.instance_path).iterdir() if p.name.startswith(".")] == []


def test_a_mirror_of_1000_signatories_is_under_200_kb_compressed(site):
    seed(site)
    with site.app_context():
        statement = db.session.scalar(db.select(Statement).where(Statement.slug == SLUG))
        rows, rng = [], random.Random(16)
        for i in range(1000):
            visibility = "hidden" if i % 20 == 0 else "country" if i % 10 == 0 else "full"
            # Names as varied as real ones (a repeated name would compress to nothing).
            words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10))).title()
                     for _ in range(rng.randint(2, 6))]
            name = f"{' '.join(words)} {i:04d}"
            country = COUNTRIES[i % len(COUNTRIES)]
            rows.append({"statement_id": statement.id, "kind": "organisation", "name": name,
                         "country": country, "visibility": visibility, "email_canonical": f"m{i}@x.example",
                         "email": None, "lang": "en", "state": "validated", "name_key": name.lower(),
                         "sort_key": listing_key(name, visibility, country), "uid": f"bulk-{i:05d}"})
        db.session.execute(insert(Signature), rows)
        reconcile(db.session)
        db.session.commit()
    response = site.test_client().get(f"/en/s/{SLUG}/mirror.html", headers={"Accept-Encoding": "gzip"})
    sent = response.get_data()
    body = gzip.decompress(sent) if response.content_encoding == "gzip" else sent
    assert "1,007 signatories" in body.decode()
    assert rows[999]["name"] in body.decode() and rows[0]["name"] not in body.decode()  # hidden: counted only
    compressed = len(gzip.compress(body, 9))
    print(f"mirror of 1,007 signatories: {len(body):,} bytes, {compressed:,} gzipped")
    assert compressed < 200 * 1024
    if response.content_encoding == "gzip":
        assert len(sent) < 200 * 1024


def test_the_page_offers_the_copy_and_the_sign_form_says_what_a_withdrawal_cannot_reach(site):
    seed(site)
    html = site.test_client().get(f"/fr/s/{SLUG}").get_data(as_text=True)
    assert (f'<a href="/fr/s/{SLUG}/mirror.html" download="{SLUG}-fr.html">'
            "Enregistrer une copie à partager si ce site est bloqué</a>") in html
    assert f'href="/fr/s/{SLUG}/mirror.html.sig" download="{SLUG}-fr.html.sig"' in html
    form = html[html.index('<form id="sign-form"'):html.index("</form>")]
    assert "un retrait ultérieur ne peut pas les modifier" in form
