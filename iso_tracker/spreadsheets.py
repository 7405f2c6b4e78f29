"""Spreadsheet files in and out: cells that cannot turn into formulas, and uploads read within bounds.

**Exports** (OWASP, "CSV injection"). A spreadsheet program takes a cell that begins with `=`, `+`,
`-` or `@`, or with a tab or carriage return, for a formula: a secretary's contact field
`=HYPERLINK(…)` would become a live link in DOST's copy of the registry. `safe_cell` puts a single
quote before such a string; every cell of every .xlsx and .csv the app writes goes through it.
Numbers and dates stay what they are, and so does a lone `-` (a common "nothing" that no program
reads as a formula).

**Imports.** An exported file imports again unchanged: `unescape_cell` removes exactly one leading
quote when quotes stand before one of those characters (`'=x` → `=x`, `''=x` → `'=x`), which undoes
`safe_cell` for every string. A value typed with such a leading quote loses it, as in Excel, which
does not store it either.

An upload is refused by its size before it is opened (`IMPORT_MAX_MB`), an .xlsx also by the size its
parts declare they unpack to (a zip bomb). `read_rows` then streams the first sheet (openpyxl
read-only) or the CSV (decoded lazily) and stops at the first row beyond the limit, blank rows
included. An .xlsx is first counted part by part as its XML streams by, keeping nothing (no sheet
of the workbook may hold more rows than the limit, nor a row more than MAX_COLUMNS cells), because
openpyxl, opening a workbook, reads to its end every sheet that does not declare its size. The size
a sheet declares is never trusted, and no file is read to its end to learn that it is too long.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.etree.ElementTree import ParseError, iterparse

from django.conf import settings
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
# Control characters a database cannot store (PostgreSQL refuses NUL) or that have no place in a
# cell: every one but tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MAX_COLUMNS = 1000  # cells a row may hold (an agency row has 16)
UNPACK_FACTOR = 10  # an .xlsx may unpack to at most IMPORT_MAX_MB × this
_XML_PER_ROW = 64  # XML elements an .xlsx row may average (a cell is two: <c><v>)
_ROW = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"  # a drawing's <xdr:row> is not one


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, too large, no header row, missing columns)."""


# Export -----------------------------------------------------------------------------------------


def safe_cell(value):
    """`value` as an export cell: a string a spreadsheet would take for a formula gets a leading quote."""
    if isinstance(value, str) and value != "-" and (value.startswith(FORMULA_STARTS) or _ESCAPED.match(value)):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


def unescape_cell(text: str) -> str:
    """An imported cell as it was before `safe_cell`: one leading quote fewer before a formula character."""
    return text[1:] if _ESCAPED.match(text) else text


def control_character(text: str) -> str | None:
    """The first control character of `text` that may not be stored (all but tab and line breaks), as U+XXXX."""
    match = _CONTROL.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


# Import -----------------------------------------------------------------------------------------


def max_bytes() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def read_rows(filename: str, content: bytes, *, max_rows: int) -> Iterator[tuple]:
    """The rows of an uploaded .xlsx (its first sheet) or .csv as tuples of cell values, header row
    first, read one at a time; ImportFileError when the file is too large or unreadable, or once a row
    beyond the header and `max_rows` more is reached."""
    if len(content) > max_bytes():
        raise ImportFileError(_("The file is larger than %(n)s MB.") % {"n": settings.IMPORT_MAX_MB})
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content, max_rows)
    elif name.endswith(".csv"):
        rows = _csv_rows(content)
    else:
        raise ImportFileError(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
    return _bounded(rows, max_rows)


def _too_long(max_rows: int) -> ImportFileError:
    return ImportFileError(_("The file has more than %(n)s rows.") % {"n": max_rows})


def _too_wide() -> ImportFileError:
    return ImportFileError(
        _("A row of the file holds more than %(n)s cells; keep only the table to import.") % {"n": MAX_COLUMNS}
    )


def _bounded(rows: Iterator, max_rows: int) -> Iterator[tuple]:
    for number, row in enumerate(rows, start=1):
        if number > max_rows + 1:  # the header and max_rows rows, blank ones included
            raise _too_long(max_rows)
        if len(row) > MAX_COLUMNS:
            raise _too_wide()
        yield row


def _unreadable_xlsx() -> ImportFileError:
    return ImportFileError(_("The file is not a readable Excel (.xlsx) workbook."))


def _xlsx_rows(content: bytes, max_rows: int) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # zipfile never inflates a part beyond the size it declares: this bounds everything below.
            if sum(info.file_size for info in archive.infolist()) > max_bytes() * UNPACK_FACTOR:
                raise ImportFileError(
                    _("The workbook unpacks to more than %(n)s MB.") % {"n": settings.IMPORT_MAX_MB * UNPACK_FACTOR}
                )
            # Opening a workbook, openpyxl reads every sheet that declares no size to its end: count first.
            for info in archive.infolist():
                with archive.open(info) as part:
                    _check_sheet_xml(part, max_rows)
    except ImportFileError:
        raise
    except Exception as exc:  # not a zip, a part that fails its checksum…
        raise _unreadable_xlsx() from exc
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise _unreadable_xlsx() from exc
    try:
        sheet.reset_dimensions()  # the size a sheet declares may be false: read what is there
        yield from sheet.iter_rows(values_only=True)
    except ImportFileError:
        raise
    except Exception as exc:
        raise _unreadable_xlsx() from exc
    finally:
        workbook.close()


def _check_sheet_xml(part, max_rows: int) -> None:
    """Count the rows of a part of the workbook, and the XML elements in them, as they stream by, keeping
    none in memory: a million rows, or a row of a million cells, refuse the file before openpyxl builds
    them. A part that is not XML (an image) is left to openpyxl."""
    rows = elements = in_row = 0
    max_elements = (max_rows + 1) * _XML_PER_ROW + 10_000
    open_elements = []
    try:
        for event, element in iterparse(part, events=("start", "end")):  # noqa: S314 - expat bounds entities
            if event == "end":
                open_elements.pop()
                if open_elements:
                    open_elements[-1].remove(element)
                if element.tag == _ROW:
                    in_row = 0
                continue
            open_elements.append(element)
            if element.tag == _ROW:
                rows += 1
                in_row = 1
                if rows > max_rows + 1:
                    raise _too_long(max_rows)
            elif not in_row:
                continue
            else:
                in_row += 1
            elements += 1
            if in_row > 4 * MAX_COLUMNS or elements > max_elements:  # a cell is two to four elements
                raise _too_wide()
    except ParseError:
        return


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        yield from csv.reader(text, dialect)
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The CSV file must be encoded in UTF-8.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def cell_text(value) -> str:
    """An imported cell as text: dates as dd/mm/yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
