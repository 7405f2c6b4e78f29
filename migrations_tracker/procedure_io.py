"""Import an agency's catalogue of administrative procedures from Excel or CSV: our template, or the
national database of administrative procedures' own export (issue 18).

An import is two steps. `plan_import` reads and checks every row (all or nothing) and says what would
change: procedures new to the agency, changed ones (with what changes), and, for a file of national
codes, the agency's procedures with a national code the file no longer lists ("vanished"); nothing is
saved. `apply_import` then saves the new and changed ones; vanished ones are kept (processes and history
hang on them) and listed, for the secretary to delete on the profile where they are really gone.

A code in the national format (1.001612.000.00.00.H01) is the procedure's national code, and matches the
agency's procedure that carries it (or whose own code it is); another code matches by the agency's code.
The national export names its columns "Mã TTHC" / "Tên TTHC" in some versions, and puts title rows above
its header row: both are read.

The file is read by agencies.registry_io.read_table, with the registry import's bounds: refused by its
size before it is opened, and at the first row beyond MAX_IMPORT_ROWS while it is read."""

from __future__ import annotations

from dataclasses import dataclass, field

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
from .models import AdministrativeProcedure, is_national_code

CODE, NAME, FIELD, BASIS = "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Căn cứ pháp lý"
HEADERS = [CODE, NAME, FIELD, BASIS]
# The national database's names for the same columns.
ALIASES = {"Mã TTHC": CODE, "Mã số TTHC": CODE, "Tên TTHC": NAME, "Tên thủ tục hành chính": NAME}
TITLE_ROWS = 10  # rows above the header a file may have (the export's titles)
KEPT = ("name", "field", "legal_basis", "national_code")


@dataclass
class Plan:
    """What an import would do; `rows` are the checked rows (code, name, field, basis), to apply."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    new: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    vanished: list[AdministrativeProcedure] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed)


def _check(rows: list[dict]) -> tuple[list[tuple], list[RowError]]:
    errors, clean, seen = [], [], {}
    for number, row in enumerate(rows, start=2):
        code, name = row.get(CODE, ""), row.get(NAME, "")
        errors.extend(control_character_errors(number, row))
        if row.get(EXTRA_CELLS, "0") != "0":
            errors.append(
                RowError(
                    number, "", _("The row has more cells than the header row; a comma inside a value needs quotes.")
                )
            )
        if not code:
            errors.append(RowError(number, CODE, _("The procedure code is required.")))
        elif len(code) > 50:
            errors.append(RowError(number, CODE, _("The value is too long.")))
        elif code in seen:
            errors.append(
                RowError(
                    number,
                    CODE,
                    _("The code %(code)s appears again (first on row %(row)s).") % {"code": code, "row": seen[code]},
                )
            )
        else:
            seen[code] = number
        if not name:
            errors.append(RowError(number, NAME, _("The procedure name is required.")))
        elif len(name) > 500:
            errors.append(RowError(number, NAME, _("The value is too long.")))
        if len(row.get(FIELD, "")) > 200:
            errors.append(RowError(number, FIELD, _("The value is too long.")))
        clean.append((code, name, row.get(FIELD, ""), row.get(BASIS, "")))
    return clean, errors


def _values(code: str, name: str, field_: str, basis: str) -> dict:
    return {
        "name": name,
        "field": field_,
        "legal_basis": basis,
        "national_code": code if is_national_code(code) else "",
    }


def _label(key: str) -> str:
    return str(AdministrativeProcedure._meta.get_field(key).verbose_name)


def _match(existing: list[AdministrativeProcedure], code: str) -> AdministrativeProcedure | None:
    return next((p for p in existing if p.code == code or (p.national_code and p.national_code == code)), None)


def plan_import(*, agency: Agency, filename: str, content: bytes) -> tuple[ImportResult, Plan]:
    """Read and check the file; say what importing it would change. Saves nothing."""
    result, plan = ImportResult(), Plan()
    try:
        rows = read_table(filename, content, required=[CODE, NAME], aliases=ALIASES, header_within=TITLE_ROWS)
    except ImportFileError as exc:
        result.errors.append(RowError(1, "", str(exc)))
        return result, plan
    plan.rows, result.errors = _check(rows)
    if result.errors:
        return result, plan
    existing = list(agency.procedures.order_by("code"))
    matched = set()
    for code, name, field_, basis in plan.rows:
        values = _values(code, name, field_, basis)
        procedure = _match(existing, code)
        if procedure is None:
            plan.new.append({"code": code, **values})
            continue
        matched.add(procedure.pk)
        # A national code already recorded is kept when the row gives the agency's own code.
        values["national_code"] = values["national_code"] or procedure.national_code
        changes = [
            (name, getattr(procedure, name), values[name]) for name in KEPT if getattr(procedure, name) != values[name]
        ]
        if changes:
            plan.changed.append({"procedure": procedure, "changes": changes})
        else:
            plan.unchanged += 1
    if any(is_national_code(code) for code, *_rest in plan.rows):  # a national list: what it no longer lists
        plan.vanished = [p for p in existing if p.national_code and p.pk not in matched]
    return result, plan


def apply_import(*, agency: Agency, rows: list[tuple[str, str, str, str]], actor: User) -> ImportResult:
    """Save the new and changed procedures of checked `rows` (from `plan_import`), all or nothing."""
    result = ImportResult()
    existing = list(agency.procedures.all())
    with transaction.atomic():
        for code, name, field_, basis in rows:
            values = _values(code, name, field_, basis)
            procedure = _match(existing, code)
            if procedure is None:
                services.procedure_create(
                    actor=actor, agency=agency, procedure=AdministrativeProcedure(code=code, **values)
                )
                result.created += 1
                continue
            values["national_code"] = values["national_code"] or procedure.national_code
            if any(getattr(procedure, key) != values[key] for key in KEPT):
                services.procedure_update(actor=actor, procedure=procedure, **values)
                result.updated += 1
    return result


def import_procedures(*, agency: Agency, filename: str, content: bytes, actor: User) -> ImportResult:
    """Both steps at once (a command, a test): check the whole file, then save it if every row is right."""
    result, plan = plan_import(agency=agency, filename=filename, content=content)
    if not result.ok:
        return result
    return apply_import(agency=agency, rows=plan.rows, actor=actor)
