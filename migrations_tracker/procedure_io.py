"""Import an agency's catalogue of administrative procedures from Excel or CSV (all or nothing).

The file is read by agencies.registry_io.read_table, with the registry import's bounds: refused by its
size before it is opened, and at the first row beyond MAX_IMPORT_ROWS while it is read."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Agency, User
from agencies.registry_io import (
    EXTRA_CELLS,
    ImportFileError,
    ImportResult,
    RowError,
    control_character_errors,
    read_table,
)

from . import services
from .models import AdministrativeProcedure

CODE, NAME, FIELD, BASIS = "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Căn cứ pháp lý"
HEADERS = [CODE, NAME, FIELD, BASIS]


def import_procedures(*, agency: Agency, filename: str, content: bytes, actor: User) -> ImportResult:
    result = ImportResult()
    try:
        rows = read_table(filename, content, required=[CODE, NAME])
    except ImportFileError as exc:
        result.errors.append(RowError(1, "", str(exc)))
        return result
    seen: dict[str, int] = {}
    clean = []
    for number, row in enumerate(rows, start=2):
        code, name = row.get(CODE, ""), row.get(NAME, "")
        result.errors.extend(control_character_errors(number, row))
        if row.get(EXTRA_CELLS, "0") != "0":
            result.errors.append(
                RowError(
                    number, "", _("The row has more cells than the header row; a comma inside a value needs quotes.")
                )
            )
        if not code:
            result.errors.append(RowError(number, CODE, _("The procedure code is required.")))
        elif len(code) > 50:
            result.errors.append(RowError(number, CODE, _("The value is too long.")))
        elif code in seen:
            result.errors.append(
                RowError(
                    number,
                    CODE,
                    _("The code %(code)s appears again (first on row %(row)s).") % {"code": code, "row": seen[code]},
                )
            )
        else:
            seen[code] = number
        if not name:
            result.errors.append(RowError(number, NAME, _("The procedure name is required.")))
        elif len(name) > 500:
            result.errors.append(RowError(number, NAME, _("The value is too long.")))
        if len(row.get(FIELD, "")) > 200:
            result.errors.append(RowError(number, FIELD, _("The value is too long.")))
        clean.append((code, name, row.get(FIELD, ""), row.get(BASIS, "")))
    if result.errors:
        return result
    existing = {p.code: p for p in agency.procedures.all()}
    with transaction.atomic():
        for code, name, field, basis in clean:
            procedure = existing.get(code)
            if procedure is None:
                services.procedure_create(
                    actor=actor,
                    agency=agency,
                    procedure=AdministrativeProcedure(code=code, name=name, field=field, legal_basis=basis),
                )
                result.created += 1
            elif (procedure.name, procedure.field, procedure.legal_basis) != (name, field, basis):
                procedure.name, procedure.field, procedure.legal_basis = name, field, basis
                procedure.full_clean()
                procedure.save()
                result.updated += 1
    return result
