"""Interface languages: complete catalogues, no untranslated template text, locale-aware pages, RTL."""

from __future__ import annotations

import gettext
import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_time, get_timezone_name
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from portal.config import LANGUAGES
from portal.models import as_utc, utcnow
from portal.signatures import signing
from portal.text import sort_key

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "portal" / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
# Words that stay the same in a translation because they are names or true cognates.
SAME_AS_ENGLISH = {
    ("fr", "Signatures"), ("fr", "%(num)s organisation"), ("fr", "organisation"), ("fr", "organisations"),
    ("fr", "Invitations"), ("fr", "Organisations"), ("fr", "Actions"), ("fr", "Code"),
    ("es", "Error %(code)s"), ("es", "Error:"), ("es", "no"),
    *((lang, acronym) for lang in ("fr", "es", "ar", "ru") for acronym in ("CSV", "JSON")),
    # Formats without words, and a product's name (issue 15: paging, country counts, exports).
    *((lang, same) for lang in ("fr", "es", "ar", "ru")
      for same in ("%(first)s–%(last)s", "%(country)s (%(count)s)", "Excel (XLSX)")),
}
# Text that a template may carry outside _(): the product's name and other services' names.
TEMPLATE_TEXT_ALLOWED = {"Undersigned", "Bluesky", "X", "Facebook", "LinkedIn", "WhatsApp", "Telegram"}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[sdifr]|\{\w*\}")


# ---------------------------------------------------------------- catalogues


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """Pages are checked against the .po files on disk: compile any .mo that is missing or stale."""
    from babel.messages.mofile import write_mo

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with open(mo, "wb") as target:
                write_mo(target, catalog)


def extract_now() -> dict:
    """msgid -> msgid_plural (or None), freshly extracted from the sources with babel.cfg."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)

    def keep(path: str) -> bool:
        name = os.path.basename(path)
        return not (name.startswith((".", "_")) or name in {"node_modules", "tests", "bench"})

    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=keep):
        if isinstance(message, (tuple, list)):
            found[(context, message[0])] = message[1]
        else:
            found[(context, message)] = None
    return found


@pytest.fixture(scope="module")
def extracted() -> dict:
    found = extract_now()
    assert len(found) > 50, "the extraction found almost nothing: is babel.cfg right?"
    return found


def catalogue(lang: str):
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalogue for {lang}: run make i18n"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def numbers_per_form(cat) -> dict[int, set[int]]:
    """Which counts (0..1000) land on each plural form of a catalogue."""
    plural = gettext.c2py(cat.plural_expr)
    result: dict[int, set[int]] = {}
    for n in range(1001):
        result.setdefault(plural(n), set()).add(n)
    return result


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_every_msgid_translated_and_not_fuzzy(lang, extracted):
    cat = catalogue(lang)
    problems = []
    for (context, msgid), plural in extracted.items():
        key = (msgid, plural) if plural else msgid
        message = cat.get(key if plural else msgid, context=context)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = forms(message)
        if plural and len(strings) != cat.num_plurals:
            problems.append(f"{len(strings)} plural forms instead of {cat.num_plurals}: {msgid!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated (or an empty plural form): {msgid!r}")
    assert not problems, f"{lang}: run make i18n and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_the_english(lang, extracted):
    cat = catalogue(lang)
    per_form = numbers_per_form(cat)
    problems = []
    for (context, msgid), plural in extracted.items():
        message = cat.get((msgid, plural) if plural else msgid, context=context)
        if message is None:
            continue  # reported by the completeness test
        if not plural:
            if placeholders(message.string) != placeholders(msgid):
                problems.append(f"{msgid!r} -> {message.string!r}")
            continue
        wanted = set(placeholders(plural)) | set(placeholders(msgid))
        for index, text in enumerate(forms(message)):
            got = set(placeholders(text))
            # A form used for one count only ("one" in Arabic) may spell the number out.
            single = len(per_form.get(index, set())) <= 1
            if not got <= wanted or (not single and got != wanted):
                problems.append(f"{msgid!r} form {index} -> {text!r}")
    assert not problems, f"{lang}: placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_are_not_copies_of_the_english(lang, extracted):
    cat = catalogue(lang)
    copies = []
    for (context, msgid), plural in extracted.items():
        message = cat.get((msgid, plural) if plural else msgid, context=context)
        if message is None or (lang, msgid) in SAME_AS_ENGLISH:
            continue
        english = [msgid, plural] if plural else [msgid]
        if any(s.strip() == e.strip() for s, e in zip(forms(message), english, strict=False)):
            copies.append(msgid)
    assert not copies, f"{lang}: identical to the English: {copies}"


@pytest.mark.parametrize("lang", ["ar", "ru"])
def test_every_plural_form_of_arabic_and_russian_is_filled(lang):
    cat = catalogue(lang)
    assert cat.num_plurals == {"ar": 6, "ru": 3}[lang]
    plurals = [m for m in cat if m.id and isinstance(m.id, tuple)]
    assert plurals, "no plural messages at all"
    for message in plurals:
        assert len(forms(message)) == cat.num_plurals and all(forms(message)), message.id


def test_the_placeholder_rule_catches_a_dropped_number():
    from babel.messages.catalog import Catalog

    cat = Catalog(locale="ru")
    per_form = numbers_per_form(cat)
    assert 21 in per_form[0] and 22 in per_form[1] and 25 in per_form[2]
    assert placeholders("%(num)s organisations from %s {0}") == ["%(num)s", "%s", "{0}"]
    assert placeholders("90%% within %(p90)s") == placeholders("90 %% en moins de %(p90)s") == ["%(p90)s"]
    assert numbers_per_form(Catalog(locale="ar"))[1] == {1}


# ---------------------------------------------------------------- template text outside _()

VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-placeholder",
                      "aria-roledescription", "aria-valuetext", "label"}


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset"))
            if visible and value:
                self.found.append(value)
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.found.append(values["content"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def _strip_jinja(source: str) -> str:
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", " ", source, flags=re.S)
    return re.sub(r"\{%.*?%\}", " ", source, flags=re.S)


def untranslated_text(source: str, html: bool = True) -> list[str]:
    """Runs of letters left in a template once Jinja, tags and allowed words are gone."""
    text = _strip_jinja(source)
    if html:
        text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
        finder = _TextFinder()
        finder.feed(text)
        finder.close()
        chunks = finder.found
    else:
        chunks = [text]
    leftovers = []
    for chunk in chunks:
        for word in TEMPLATE_TEXT_ALLOWED:
            chunk = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", chunk)
        if re.search(r"[^\W\d_]", chunk):
            leftovers.append(" ".join(chunk.split()))
    return leftovers


def test_the_template_checker_finds_bare_text():
    assert untranslated_text("<p>{{ _('Fine') }} Not fine</p>") == ["Not fine"]
    assert untranslated_text('<input aria-label="Search here">') == ["Search here"]
    assert untranslated_text('<button title="{{ _(\'x\') }}">{# note #}</button>') == []
    assert untranslated_text("<a>Undersigned</a> · {% if x %}{{ y }}{% endif %}") == []
    assert untranslated_text("Hello {{ name }}", html=False) == ["Hello"]


def _templates() -> list[Path]:
    """Pages, fragments and emails: what people read (robots.txt and feeds' XML are for machines)."""
    return sorted(p for p in TEMPLATES.rglob("*")
                  if p.suffix == ".html" or (p.suffix == ".txt" and p.parent.name == "mail"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_text_outside_gettext(path):
    leftovers = untranslated_text(path.read_text(encoding="utf-8"), html=path.suffix != ".txt")
    assert not leftovers, f"{path.relative_to(ROOT)}: wrap in _(): {leftovers}"


# ---------------------------------------------------------------- right-to-left CSS

PHYSICAL = re.compile(
    r"(?<![\w-])(?:margin|padding|border)-(?:left|right)(?:-\w+)?\s*:"
    r"|(?<![\w-])(?:left|right)\s*:"
    r"|text-align\s*:\s*(?:left|right)"
    r"|float\s*:\s*(?:left|right)"
    r"|clear\s*:\s*(?:left|right)"
    r"|border-(?:top|bottom)-(?:left|right)-radius\s*:")


def physical_properties(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return PHYSICAL.findall(css)


def test_the_css_checker_catches_physical_properties():
    assert physical_properties("a { margin-left: 1px; right: 0; text-align: left }") == [
        "margin-left:", "right:", "text-align: left"]
    assert physical_properties("a { margin-inline-start: 1px; inset-inline-end: 0 } /* left: */") == []


def test_stylesheets_use_logical_properties_only():
    sheets = [p for p in (ROOT / "portal" / "static").rglob("*.css") if "vendor" not in p.parts]
    assert sheets
    for sheet in sheets:
        found = physical_properties(sheet.read_text(encoding="utf-8"))
        assert not found, f"{sheet.name}: use logical properties instead of {found}"


# ---------------------------------------------------------------- pages in each language


def _html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


@pytest.mark.parametrize(("lang", "word", "direction"), [
    ("en", "Joint statements", "ltr"), ("fr", "Déclarations communes", "ltr"),
    ("es", "Declaraciones conjuntas", "ltr"), ("ar", "بيانات مشتركة", "rtl"),
    ("ru", "Совместные заявления", "ltr")])
def test_interface_language_follows_the_url(client, lang, word, direction):
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert f'lang="{lang}"' in _html_tag(html) and f'dir="{direction}"' in _html_tag(html)
    assert word in html


def test_languages_without_a_catalogue_fall_back_to_english_ui(client, make_statement):
    make_statement(langs=("pt-BR", "en"))
    html = client.get("/pt-BR/s/free-the-reporters").get_data(as_text=True)
    assert 'lang="en"' in _html_tag(html) and "Sign this statement" in html
    assert 'lang="pt-BR"' in html  # the statement text keeps its own language
    assert "Joint statements" in client.get("/de/").get_data(as_text=True)


def test_persian_statement_text_is_rtl_inside_an_english_ui(client, make_statement):
    make_statement(langs=("fa",))
    html = client.get("/fa/s/free-the-reporters").get_data(as_text=True)
    assert 'dir="ltr"' in _html_tag(html) and 'lang="en"' in _html_tag(html)
    assert re.search(r'<div lang="fa" dir="rtl">\s*<h1>', html)


def _country_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="country"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [name for value, name in re.findall(r'<option value="([A-Z]*)"[^>]*>([^<]*)</option>', select)
            if value]


@pytest.mark.parametrize(("lang", "germany"), [("fr", "Allemagne"), ("ru", "Германия"), ("ar", "ألمانيا"),
                                               ("es", "Alemania")])
def test_countries_are_localised_and_collated(client, make_statement, lang, germany):
    make_statement(langs=("en",))
    names = _country_options(client.get(f"/{lang}/s/free-the-reporters").get_data(as_text=True))
    assert len(names) > 200 and germany in names
    assert names == sorted(names, key=sort_key)
    if lang == "fr":  # by the alphabet, not by code point: É sits among the E's, not after Z
        assert names.index("Danemark") < names.index("Égypte") < names.index("Espagne")


def test_dates_and_numbers_follow_the_locale(app, client, make_statement):
    deadline = utcnow() + timedelta(days=30)
    make_statement(langs=("en",), count_total=1234567, count_organisations=1234567, count_countries=3,
                   deadline_at=deadline, deadline_tz="Europe/Paris", moderation="post")
    en = client.get("/en/s/free-the-reporters").get_data(as_text=True)
    fr = client.get("/fr/s/free-the-reporters").get_data(as_text=True)
    ar = client.get("/ar/s/free-the-reporters").get_data(as_text=True)
    ru = client.get("/ru/s/free-the-reporters").get_data(as_text=True)
    assert "<strong>1,234,567</strong>" in en and "1,234,567 organisations" in en
    assert f"<strong>{format_decimal(1234567, locale='fr')}</strong>" in fr  # narrow no-break spaces
    assert "\u202f" in format_decimal(1234567, locale="fr")
    # Babel's "ar" locale uses Latin digits by default (ar_EG would use ١٢٣); the page says what Babel says.
    arabic_default = format_decimal(1234567, locale="ar", numbering_system="default")
    assert Locale.parse("ar").default_numbering_system == "latn"
    assert f"<strong>{arabic_default}</strong>" in ar
    assert "из 3 стран" in ru
    month = (utcnow() + timedelta(days=30)).month
    assert Locale.parse("fr").months["format"]["wide"][month] in fr
    assert Locale.parse("ru").months["format"]["wide"][month] in ru
    assert Locale.parse("ar").months["format"]["wide"][month] in ar
    # The deadline is shown in the zone it was set in, named in the reader's language, without seconds.
    paris = as_utc(deadline).astimezone(ZoneInfo("Europe/Paris"))
    assert f"({get_timezone_name(paris, width='long', locale='fr')})" in fr
    assert format_time(paris, "short", locale="fr") in fr
    assert format_time(paris, "medium", locale="fr") not in fr


def test_plural_forms_reach_the_page(client, make_statement):
    make_statement(langs=("en",), count_total=22, count_organisations=22, count_countries=21)
    ru = client.get("/ru/s/free-the-reporters").get_data(as_text=True)
    assert "22 организации" in ru and "из 21 страны" in ru
    ar = client.get("/ar/s/free-the-reporters").get_data(as_text=True)
    assert "22 منظمة ومن 21 بلدًا" in ar  # Babel's Arabic list joins with "و", not a comma


def test_signatories_sort_by_uca_and_search_ignores_case_and_accents(app, client, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False, langs=("en",))
    names = ["Zeta Press", "Élan Média", "eagle news", "Ångström Institute", "Бета", "Альфа", "Ёлка",
             "Вега", "بيت الصحافة", "أمل", "تاج", "Echo Radio"]
    with app.app_context():
        for i, name in enumerate(names):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=name, country="FR", email=f"s{i}@example.org",
                lang="en", authorised=True, signer_name="X"))
    html = client.get("/en/s/free-the-reporters/signatories").get_data(as_text=True)
    shown = re.findall(r'<bdi class="name">([^<]+)</bdi>', html)
    assert shown == ["Ångström Institute", "eagle news", "Echo Radio", "Élan Média", "Zeta Press",
                     "Альфа", "Бета", "Вега", "Ёлка", "أمل", "بيت الصحافة", "تاج"]
    found = client.get("/en/s/free-the-reporters/signatories?q=ELAN%20media").get_data(as_text=True)
    assert re.findall(r'<bdi class="name">([^<]+)</bdi>', found) == ["Élan Média"]
    found = client.get("/en/s/free-the-reporters/signatories?q=angstrom").get_data(as_text=True)
    assert re.findall(r'<bdi class="name">([^<]+)</bdi>', found) == ["Ångström Institute"]


def test_confirmation_email_is_in_the_signers_language(app, client, make_statement):
    make_statement(langs=("en", "ar"))
    from conftest import csrf_token, outbox_bodies

    token = csrf_token(client, "/ar/s/free-the-reporters")
    response = client.post("/ar/s/free-the-reporters/sign", data={
        "kind": "organisation", "name": "Reporters United", "signer_name": "Ana", "country": "FR",
        "email": "ana@example.org", "visibility": "full", "authorised": "y", "csrf_token": token})
    assert response.status_code == 303
    body = outbox_bodies(app)[-1]
    assert "مرحبًا" in body and "لتأكيد التوقيع" in body and "Hello" not in body
