"""The change log shown on an agency's page, read from django-simple-history's records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from .models import Agency, AgencyVersion

HIDDEN_FIELDS = {"id", "agency"}
TYPE_LABELS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
MAX_ENTRIES = 200


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    what: str
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _display(model, field_name: str, value, names: dict[tuple[type, int], str]) -> str:
    if value in (None, ""):
        return "—"
    model_field = model._meta.get_field(field_name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _period_label(valid_from) -> str:
    if valid_from is None:
        return str(_("First period"))
    return str(_("Period from %(date)s") % {"date": valid_from.strftime("%d/%m/%Y")})


def _records(agency: Agency):
    newest = ("-history_date", "-history_id")
    agency_records = agency.history.select_related("history_user").order_by(*newest)[:MAX_ENTRIES]
    version_records = (
        AgencyVersion.history.filter(agency_id=agency.pk).select_related("history_user").order_by(*newest)[:MAX_ENTRIES]
    )
    agency_records, version_records = list(agency_records)[::-1], list(version_records)[::-1]
    return [(Agency, agency_records, _("Agency")), (AgencyVersion, version_records, "")]


def _related_names(groups) -> dict[tuple[type, int], str]:
    """The names of every object the records point to: one query per related model."""
    wanted: dict[type, set[int]] = {}
    for model, records, _label in groups:
        for model_field in model._meta.fields:
            if model_field.is_relation and model_field.name not in HIDDEN_FIELDS:
                ids = {getattr(r, model_field.attname) for r in records} - {None}
                wanted.setdefault(model_field.related_model, set()).update(ids)
    return {
        (related, obj.pk): str(obj)
        for related, ids in wanted.items()
        if ids
        for obj in related.objects.filter(pk__in=ids)
    }


def change_log(agency: Agency) -> list[Entry]:
    """Who changed what and when, newest first; a bounded number of queries whatever the length."""
    groups = _records(agency)
    names = _related_names(groups)
    entries: list[Entry] = []
    for model, records, label in groups:
        previous: dict[int, object] = {}
        for record in records:
            key = record.id
            before = previous.get(key)
            changes = []
            fields = [f for f in model._meta.fields if f.name not in HIDDEN_FIELDS and f.name != "reorganisation"]
            for model_field in fields:
                attname = model_field.attname
                new = getattr(record, attname)
                old = getattr(before, attname) if before is not None else None
                if before is None and new in (None, ""):
                    continue
                if before is None or old != new:
                    changes.append(
                        Change(
                            str(model_field.verbose_name),
                            _display(model, model_field.name, old, names) if before is not None else "",
                            _display(model, model_field.name, new, names),
                        )
                    )
            previous[key] = record
            if record.history_type == "~" and not changes:
                continue
            what = label if model is Agency else _period_label(record.valid_from)
            user = record.history_user
            entries.append(
                Entry(
                    when=record.history_date,
                    who=(user.get_full_name() or user.username) if user else str(_("system")),
                    what=str(what),
                    kind=str(TYPE_LABELS.get(record.history_type, "")),
                    reason=record.history_change_reason or "",
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:MAX_ENTRIES]
