"""XLSX exports (XlsxWriter), written row by row in constant memory.

Every text cell is written as a string, never as a formula or a link, whatever it starts
with; a right-to-left export language gives a right-to-left sheet.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _

from portal.errors import DomainError
from portal.languages import direction

XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, the header row included
CHUNK = 64 * 1024
SPOOL = 8 * 1024 * 1024  # in memory up to this size, then in a temporary file
WIDTHS = {"name": 40, "signer_name": 28, "role": 24, "website": 30, "email": 32, "country_name": 22}


class TooManyRows(DomainError):
    """More signatures than a worksheet holds."""

    def __init__(self) -> None:
        super().__init__(None, _("There are more signatures than a spreadsheet holds. "
                                 "Download the CSV instead."))


def check_size(rows: int) -> None:
    """:raises TooManyRows: if ``rows`` and the header do not fit in a worksheet (checked before
    any row is read, so nothing is left half-streamed)."""
    if rows + 1 > XLSX_MAX_ROWS:
        raise TooManyRows()


def to_xlsx(rows: Iterable[dict], fields: list[str], lang: str) -> Iterator[bytes]:
    """The workbook, written whole before the first byte is sent (a worksheet is not a stream),
    then read back in chunks (:func:`check_size` first)."""
    import xlsxwriter  # here: most workers never write a workbook

    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # closed by _read
    with tempfile.TemporaryDirectory() as scratch:
        book = xlsxwriter.Workbook(spool, {
            "constant_memory": True, "tmpdir": scratch, "in_memory": False,
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        sheet = book.add_worksheet(_("Signatories")[:31])
        if direction(lang) == "rtl":
            sheet.right_to_left()
        bold = book.add_format({"bold": True})
        for column, field in enumerate(fields):
            sheet.set_column(column, column, WIDTHS.get(field, 14))
            sheet.write_string(0, column, field, bold)
        sheet.freeze_panes(1, 0)
        number = 0
        for number, row in enumerate(rows, 1):
            for column, field in enumerate(fields):
                value = row[field]
                if isinstance(value, int) and not isinstance(value, bool):
                    sheet.write_number(number, column, value)
                elif value not in (None, ""):
                    sheet.write_string(number, column, str(value))
        sheet.autofilter(0, 0, number, len(fields) - 1)
        book.close()
    spool.seek(0)
    return _read(spool)


def _read(spool) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(CHUNK):
            yield chunk
