"""The "as delivered" letter as a PDF, built with fpdf2 from a snapshot's frozen content only,
so the same snapshot always gives the same bytes (fixed creation date, no clock, no random
file id) and its SHA-256 is stable. Text is shaped with HarfBuzz in DejaVu Sans, which covers
Latin, Cyrillic and Arabic (right to left)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import nh3
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from portal.languages import direction, ui_language
from portal.statements import markdown
from portal.text import country_name

COMPLEX = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew, Arabic, Syriac, Thaana
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def plain(body_md: str) -> list[str]:
    """The Markdown body as plain paragraphs (rendered, then every tag dropped)."""
    rendered = str(markdown.render(body_md or ""))
    rendered = re.sub(r"</(p|li|h[2-4]|blockquote|tr)>", "\n\n", rendered)
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def build(snapshot: dict) -> bytes:
    """The PDF of a snapshot (:func:`portal.record.deliveries.freeze`'s content)."""
    lang = snapshot["lang"]
    rtl = direction(lang) == "rtl"
    from fpdf import FPDF  # here, not at import: it weighs ~30 MB in every web worker otherwise

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.fromisoformat(snapshot["frozen_at"]).astimezone(UTC))
    pdf.file_id = lambda: ""  # no random id: the same snapshot, the same bytes
    pdf.set_title(snapshot["title"])
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))

    def shape(text: str) -> None:
        # HarfBuzz joins Arabic letters and orders mixed text; it costs, so only where needed.
        pdf.set_text_shaping(use_shaping_engine=bool(rtl or COMPLEX.search(text)),
                             direction="rtl" if rtl else "ltr")

    align = "R" if rtl else "L"
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 11, style: str = "", gap: float = 3) -> None:
        shape(text)
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    with force_locale(ui_language(lang)):
        delivered = format_date(datetime.fromisoformat(snapshot["delivered_on"]), format="long")
        para(_("Delivered to %(recipient)s on %(date)s.", recipient=snapshot["recipient"], date=delivered),
             size=9)
        para(snapshot["title"], size=16, style="B", gap=4)
        if snapshot["summary"]:
            para(snapshot["summary"], style="B")
        for paragraph in plain(snapshot["body_md"]):
            para(paragraph)
        pdf.ln(4)
        para(_("Signatories"), size=13, style="B")
        para(ngettext("%(num)s organisation or person as of %(date)s (delivered to %(recipient)s).",
                      "%(num)s organisations and people as of %(date)s (delivered to %(recipient)s).",
                      snapshot["count"], date=delivered,
                      recipient=snapshot["recipient"]), size=10)
        hidden = snapshot["count"] - len(snapshot["entries"])
        if hidden > 0:
            para(ngettext("%(num)s more chose not to be listed.", "%(num)s more chose not to be listed.",
                          hidden), size=10)
        pdf.set_font("DejaVu", "", 9)
        for entry in snapshot["entries"]:
            # One line each, without line breaking (a letter of thousands of names stays quick).
            line = entry_line(entry, lang)[:110]
            shape(line)
            pdf.cell(width, 4.6, line, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        para(_("Snapshot %(number)s, text version %(version)s.", number=snapshot["number"],
               version=snapshot["version"]), size=8)
    return bytes(pdf.output())


def entry_line(entry: dict, lang: str) -> str:
    """One signatory as the snapshot froze it: a name and country, or "an organisation in …"."""
    country = country_name(entry["country"], ui_language(lang))
    if entry.get("name"):
        role = f" ({entry['role']})" if entry.get("role") else ""
        return f"{entry['name']}{role}, {country}"
    if entry["kind"] == "organisation":
        return _("An organisation in %(country)s", country=country)
    return _("A person in %(country)s", country=country)
