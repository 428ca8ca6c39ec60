"""The country lists, rendered once per language instead of on every request.

A statement page carries about 250 countries twice (the sign form and the search filter).
Rendered option by option through WTForms that was half of the page's time (see bench/README.md).
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape
from wtforms.widgets import html_params

from portal.text import countries


@lru_cache(maxsize=128)
def _options(lang: str, placeholder: str) -> tuple[tuple[str, ...], dict[str, int]]:
    pairs = [("", placeholder), *countries(lang)]
    rendered = tuple(f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in pairs)
    return rendered, {code: i for i, (code, _name) in enumerate(pairs)}


def country_options(lang: str, selected: str | None, placeholder: str) -> Markup:
    """``<option>`` elements: the placeholder (value "") and the countries in ``lang``'s order."""
    rendered, index = _options(lang, str(placeholder))
    position = index.get(selected or "")
    if not selected or position is None:
        return Markup("".join(rendered))
    items = list(rendered)
    items[position] = items[position].replace("<option ", "<option selected ", 1)
    return Markup("".join(items))


class CountrySelect:
    """A WTForms widget for the country field, drawing on :func:`country_options`."""

    def __init__(self, lang: str, placeholder: str) -> None:
        self.lang, self.placeholder = lang, placeholder

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        if "required" not in kwargs and "required" in getattr(field, "flags", []):
            kwargs["required"] = True
        return (Markup(f"<select {html_params(name=field.name, **kwargs)}>")
                + country_options(self.lang, field.data, self.placeholder) + Markup("</select>"))
