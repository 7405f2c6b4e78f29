"""The registry as a file: export to CSV / Excel and import from them.

The column headers are Vietnamese and fixed whatever the interface language, because the file is
an exchange format: a file exported in English must import again. Category cells hold the
Vietnamese label; an import also accepts the English label or the internal key.

Every exported cell goes through `iso_tracker.spreadsheets.safe_cell` (a value that a spreadsheet
would take for a formula gets a leading quote) and every imported one through `unescape_cell` (one
such quote is removed), so an exported file imports again unchanged. An upload is refused by its
size before it is opened and read one row at a time up to MAX_IMPORT_ROWS (see `spreadsheets`).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from iso_tracker import spreadsheets
from iso_tracker.spreadsheets import ImportFileError, cell_text, safe_row, unescape_cell

from . import services
from .models import Agency, AgencyVersion, Category, Province, User

CODE, NAME, CATEGORY, PARENT_CODE, PARENT, LOCALITY, PROVINCE = (
    "Mã cơ quan",
    "Tên cơ quan",
    "Loại cơ quan",
    "Mã cơ quan cấp trên",
    "Cơ quan cấp trên",
    "Địa bàn",
    "Tỉnh",
)
ESTABLISHED, ENDED = "Ngày thành lập", "Ngày kết thúc"
CONTACT_HEADERS = {
    "address": "Địa chỉ",
    "phone": "Điện thoại",
    "email": "Email",
    "website": "Trang thông tin điện tử",
    "secretary_name": "Thư ký ISO",
    "secretary_phone": "Điện thoại thư ký ISO",
    "secretary_email": "Email thư ký ISO",
}
HEADERS = [CODE, NAME, CATEGORY, PARENT_CODE, PARENT, LOCALITY, PROVINCE, ESTABLISHED, ENDED, *CONTACT_HEADERS.values()]
REQUIRED_HEADERS = [CODE, NAME, CATEGORY]
MAX_IMPORT_ROWS = 20000
EXTRA_CELLS = "__extra_cells__"  # how many filled cells a row has beyond the header


def _date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def export_rows(rows: Iterable[AgencyVersion]) -> Iterator[list[str]]:
    """One list of cells per registry row (see selectors.registry_rows), headers first."""
    with translation.override("vi"):
        labels = {key: str(label) for key, label in Category.choices}
    yield HEADERS
    for row in rows:
        agency = row.agency
        yield [
            agency.code,
            row.name,
            labels[row.category],
            row.parent.code if row.parent else "",
            (row.parent_name or (row.parent.name if row.parent else "")),
            row.locality,
            agency.province.name,
            _date(agency.established_on),
            _date(agency.ended_on),
            *(getattr(agency, f) for f in CONTACT_HEADERS),
        ]


def write_csv(rows: Iterable[AgencyVersion], out: io.TextIOBase) -> None:
    """CSV in UTF-8 with a byte-order mark, so that Excel shows the diacritics."""
    out.write("\ufeff")
    writer = csv.writer(out)
    for cells in export_rows(rows):
        writer.writerow(safe_row(cells))


def write_xlsx(rows: Iterable[AgencyVersion], out: io.BufferedIOBase, *, title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    widths = [14, 48, 30, 14, 40, 24, 14, 14, 14, 30, 14, 26, 26, 24, 16, 26]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for number, cells in enumerate(export_rows(rows)):
        if number == 0:
            sheet.append([_bold(workbook, sheet, c) for c in safe_row(cells)])
        else:
            sheet.append(safe_row(cells))
    workbook.save(out)


def _bold(workbook: Workbook, sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


# Import -----------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# ImportFileError (the file as a whole cannot be read) comes from iso_tracker.spreadsheets.


def read_table(
    filename: str,
    content: bytes,
    required: list[str] = REQUIRED_HEADERS,
    *,
    aliases: dict[str, str] | None = None,
    header_within: int = 1,
) -> list[dict[str, str]]:
    """Rows of an uploaded .xlsx or .csv as dicts keyed by the stripped header text, each cell stripped and
    unescaped. The header row is the first non-blank row, or the first of the `header_within` first ones
    that has every `required` column (title rows above it are skipped, as in the national database's
    exports); `aliases` renames header texts (another system's name for a column) to ours.
    ImportFileError for a file too large, unreadable, without the `required` columns, or with more than
    MAX_IMPORT_ROWS rows (found while reading, never after)."""
    aliases = aliases or {}
    headers: list[str] | None = None
    rows = []
    looked, missing = 0, []
    for raw in spreadsheets.read_rows(filename, content, max_rows=MAX_IMPORT_ROWS):
        cells = [cell_text(value) for value in raw]
        if not any(cell.strip() for cell in cells):
            continue
        if headers is None:
            looked += 1
            named = [aliases.get(cell.strip(), cell.strip()) for cell in cells]
            missing = [h for h in required if h not in named]
            if not missing:
                headers = named
            elif looked >= header_within:
                raise ImportFileError(
                    _("The header row lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
                )
            continue
        row = {h: unescape_cell(cells[i].strip()) if i < len(cells) else "" for i, h in enumerate(headers) if h}
        row[EXTRA_CELLS] = str(sum(1 for cell in cells[len(headers) :] if cell.strip()))
        rows.append(row)
    if headers is None and missing:
        raise ImportFileError(_("The header row lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return rows


def control_character_errors(number: int, row: dict[str, str]) -> list[RowError]:
    """One error per cell of the row holding a control character (NUL…), which no database row may hold."""
    errors = []
    for header, value in row.items():
        code = spreadsheets.control_character(value) if header != EXTRA_CELLS else None
        if code:
            errors.append(
                RowError(
                    number,
                    header,
                    _("The cell holds a control character (%(code)s) that cannot be saved; remove it.")
                    % {"code": code},
                )
            )
    return errors


def _category_lookup() -> dict[str, str]:
    lookup = {}
    for key, label in Category.choices:
        lookup[key.lower()] = key
        for language in ("vi", "en"):
            with translation.override(language):
                lookup[str(label).strip().lower()] = key
    return lookup


def _parse_date(text: str) -> datetime.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def import_registry(*, province: Province, filename: str, content: bytes, actor: User) -> ImportResult:
    """Validate every row, then create new agencies and correct existing ones (matched by code).

    Any bad row: the result lists each (row number as in the file, column, reason) and nothing is saved.
    """
    result = ImportResult()
    try:
        rows = read_table(filename, content)
    except ImportFileError as exc:
        result.errors.append(RowError(1, "", str(exc)))
        return result

    categories = _category_lookup()
    existing = {a.code: a for a in Agency.objects.filter(province=province)}
    by_pk = {a.pk: a for a in existing.values()}
    for agency in existing.values():  # one object per agency: a parent changed by one row is seen by the next
        if agency.parent_id in by_pk:
            agency.parent = by_pk[agency.parent_id]
    file_codes: dict[str, int] = {}
    parsed: list[tuple[int, dict]] = []
    email, url = EmailValidator(), URLValidator()

    for number, row in enumerate(rows, start=2):

        def error(column: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, column, message))

        data: dict = {}
        result.errors.extend(control_character_errors(number, row))
        if row.get(EXTRA_CELLS, "0") != "0":
            error("", _("The row has more cells than the header row; a comma inside a value needs quotes."))
        code = row.get(CODE, "")
        if not code:
            error(CODE, _("The code is required."))
        elif len(code) > 32:
            error(CODE, _("The code is longer than 32 characters."))
        elif code in file_codes:
            error(
                CODE,
                _("The code %(code)s appears again (first on row %(row)s).") % {"code": code, "row": file_codes[code]},
            )
        else:
            file_codes[code] = number
        data["code"] = code
        data["name"] = row.get(NAME, "")
        if not data["name"]:
            error(NAME, _("The name is required."))
        elif len(data["name"]) > 255:
            error(NAME, _("The name is longer than 255 characters."))
        category = categories.get(row.get(CATEGORY, "").lower())
        if category is None:
            error(
                CATEGORY,
                _("Unknown category “%(value)s”; use one of: %(choices)s.")
                % {"value": row.get(CATEGORY, ""), "choices": "; ".join(str(label) for _k, label in Category.choices)},
            )
        data["category"] = category
        data["parent_code"] = row.get(PARENT_CODE, "")
        data["locality"] = row.get(LOCALITY, "")
        province_cell = row.get(PROVINCE, "")
        if province_cell and province_cell not in (province.name, province.code):
            error(
                PROVINCE,
                _("This row belongs to %(other)s; you can only import agencies of %(mine)s.")
                % {"other": province_cell, "mine": province.name},
            )
        established = row.get(ESTABLISHED, "")
        data["established_on"] = None
        if established:
            try:
                data["established_on"] = _parse_date(established)
            except ValueError:
                error(ESTABLISHED, _("“%(value)s” is not a date in the form dd/mm/yyyy.") % {"value": established})
        for field_name, header in CONTACT_HEADERS.items():
            value = row.get(header, "")
            data[field_name] = value
            if not value:
                continue
            validator = {"email": email, "secretary_email": email, "website": url}.get(field_name)
            if validator:
                try:
                    validator(value)
                except ValidationError:
                    error(header, _("“%(value)s” is not a valid address.") % {"value": value})
            elif len(value) > Agency._meta.get_field(field_name).max_length:
                error(header, _("The value is too long."))
        parsed.append((number, data))

    for number, data in parsed:
        parent_code = data["parent_code"]
        if parent_code and parent_code not in existing and parent_code not in file_codes:
            result.errors.append(
                RowError(number, PARENT_CODE, _("No agency has the code %(code)s.") % {"code": parent_code})
            )
        elif parent_code and parent_code == data["code"]:
            result.errors.append(RowError(number, PARENT_CODE, _("An agency cannot sit under itself.")))
        code = data["code"]
        if code in existing and existing[code].ended_on:
            result.errors.append(
                RowError(
                    number,
                    CODE,
                    _("%(code)s has ended; its record can no longer be changed by import.") % {"code": code},
                )
            )
    result.errors.extend(_loop_errors(parsed, file_codes, existing))
    if result.errors:
        return result

    ordered = _parents_first(parsed)
    try:
        with transaction.atomic():
            for number, data in ordered:
                _save_row(province, existing, number, data, result, actor)
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.created = result.updated = 0
    return result


class _Rollback(Exception):
    pass


def _loop_errors(
    parsed: list[tuple[int, dict]], file_codes: dict[str, int], existing: dict[str, Agency]
) -> list[RowError]:
    """One error per loop the parent codes would make once imported, through rows of the file and
    agencies already registered alike (A under B in the file, B under A in the registry). Each is
    reported on the row of the loop's first code in the file."""
    parent_of = {code: agency.parent.code for code, agency in existing.items() if agency.parent_id}
    for number, data in parsed:
        if file_codes.get(data["code"]) == number:
            parent_of[data["code"]] = data["parent_code"]
    errors, settled = [], set()  # settled: codes whose line of parents has been followed to its end
    for start in file_codes:
        path: list[str] = []
        on_path: dict[str, int] = {}
        code = start
        while code and code not in settled and code not in on_path:
            on_path[code] = len(path)
            path.append(code)
            code = parent_of.get(code, "")
        settled.update(path)
        if code not in on_path:
            continue
        loop = path[on_path[code] :]
        rows = sorted((file_codes[c], c) for c in loop if c in file_codes)
        if len(loop) < 2 or not rows:  # a code under itself has its own message
            continue
        number, first = rows[0]
        at = loop.index(first)
        loop = [*loop[at:], *loop[:at], first]
        errors.append(
            RowError(number, PARENT_CODE, _("The parent codes form a loop: %(loop)s.") % {"loop": " → ".join(loop)})
        )
    return sorted(errors, key=lambda e: e.row)


def _parents_first(parsed: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The rows in the order to save them: a parent given in the file before the units under it (the
    parent codes form no loop: see _loop_errors)."""
    by_code = {data["code"]: (number, data) for number, data in parsed}
    ordered, done = [], set()
    for start in by_code:
        chain: list[str] = []
        code = start
        while code in by_code and code not in done and code not in chain:
            chain.append(code)
            code = by_code[code][1]["parent_code"]
        for link in reversed(chain):
            done.add(link)
            ordered.append(by_code[link])
    return ordered


def _save_row(
    province: Province, existing: dict[str, Agency], number: int, data: dict, result: ImportResult, actor: User
) -> None:
    parent = existing.get(data["parent_code"]) if data["parent_code"] else None
    fields = {k: v for k, v in data.items() if k not in ("parent_code", "code")}
    try:
        if data["code"] in existing:
            agency = existing[data["code"]]
            changed = {k: v for k, v in fields.items() if k != "established_on" and getattr(agency, k) != v}
            if parent != agency.parent:
                changed["parent"] = parent
            if data["established_on"] and data["established_on"] != agency.established_on:
                changed["established_on"] = data["established_on"]
            if changed:
                services.agency_update(actor=actor, agency=agency, **changed)
                result.updated += 1
        else:
            existing[data["code"]] = services.agency_create(
                actor=actor, province=province, code=data["code"], parent=parent, **fields
            )
            result.created += 1
    except ValidationError as exc:
        for column, messages in _error_columns(exc):
            for message in messages:
                result.errors.append(RowError(number, column, message))


_FIELD_HEADERS = {
    "code": CODE,
    "name": NAME,
    "category": CATEGORY,
    "parent": PARENT_CODE,
    "locality": LOCALITY,
    "established_on": ESTABLISHED,
    **CONTACT_HEADERS,
}


def _error_columns(exc: ValidationError) -> Iterator[tuple[str, list[str]]]:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            yield _FIELD_HEADERS.get(field_name, ""), errors
    else:
        yield "", exc.messages
