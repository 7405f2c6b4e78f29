"""The registry as a file: export to CSV / Excel and import from them.

The column headers are Vietnamese and fixed whatever the interface language, because the file is
an exchange format: a file exported in English must import again. Category cells hold the
Vietnamese label; an import also accepts the English label or the internal key.
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
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import services
from .models import Agency, AgencyVersion, Category, Province

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
        writer.writerow(cells)


def write_xlsx(rows: Iterable[AgencyVersion], out: io.BufferedIOBase, *, title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    widths = [14, 48, 30, 14, 40, 24, 14, 14, 14, 30, 14, 26, 26, 24, 16, 26]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for number, cells in enumerate(export_rows(rows)):
        if number == 0:
            sheet.append([_bold(workbook, sheet, c) for c in cells])
        else:
            sheet.append(cells)
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


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header row, missing columns)."""


def read_table(filename: str, content: bytes, required: list[str] = REQUIRED_HEADERS) -> list[dict[str, str]]:
    """Rows of an uploaded .xlsx or .csv as dicts keyed by the stripped header text."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from exc
        raw = [
            ["" if v is None else _cell_text(v) for v in r] for r in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The CSV file must be encoded in UTF-8.")) from exc
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            raw = list(csv.reader(io.StringIO(text), dialect))
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    else:
        raise ImportFileError(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
    raw = [r for r in raw if any(str(c).strip() for c in r)]
    if not raw:
        raise ImportFileError(_("The file is empty."))
    headers = [str(h).strip() for h in raw[0]]
    missing = [h for h in required if h not in headers]
    if missing:
        raise ImportFileError(_("The header row lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if len(raw) - 1 > MAX_IMPORT_ROWS:
        raise ImportFileError(_("The file has more than %(n)s rows.") % {"n": MAX_IMPORT_ROWS})
    rows = []
    for r in raw[1:]:
        row = {h: str(r[i]).strip() if i < len(r) else "" for i, h in enumerate(headers) if h}
        row[EXTRA_CELLS] = str(sum(1 for cell in r[len(headers) :] if str(cell).strip()))
        rows.append(row)
    return rows


def _cell_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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


def import_registry(*, province: Province, filename: str, content: bytes) -> ImportResult:
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
    file_codes: dict[str, int] = {}
    parsed: list[tuple[int, dict]] = []
    email, url = EmailValidator(), URLValidator()

    for number, row in enumerate(rows, start=2):

        def error(column: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, column, message))

        data: dict = {}
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
    if result.errors:
        return result

    ordered = _parents_first(parsed, result)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for number, data in ordered:
                _save_row(province, existing, number, data, result)
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.created = result.updated = 0
    return result


class _Rollback(Exception):
    pass


def _parents_first(parsed: list[tuple[int, dict]], result: ImportResult) -> list[tuple[int, dict]]:
    by_code = {data["code"]: (number, data) for number, data in parsed}
    ordered, state = [], {}

    def visit(code: str, chain: tuple[str, ...]) -> None:
        if state.get(code) == "done":
            return
        number, data = by_code[code]
        if code in chain:
            result.errors.append(
                RowError(
                    number,
                    PARENT_CODE,
                    _("The parent codes form a loop: %(loop)s.") % {"loop": " → ".join([*chain, code])},
                )
            )
            state[code] = "done"
            return
        parent_code = data["parent_code"]
        if parent_code in by_code:
            visit(parent_code, (*chain, code))
        if state.get(code) != "done":
            state[code] = "done"
            ordered.append((number, data))

    for code in by_code:
        visit(code, ())
    return ordered


def _save_row(province: Province, existing: dict[str, Agency], number: int, data: dict, result: ImportResult) -> None:
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
                services.agency_update(agency=agency, **changed)
                result.updated += 1
        else:
            existing[data["code"]] = services.agency_create(
                province=province, code=data["code"], parent=parent, **fields
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
