"""The documents of the inspection cycle built from the records: the inspection file (art. 39) as a
zip, the plan (Mẫu 19) and the decision / minutes (Mẫu 20 / 21) as PDFs. Views only send them."""

from __future__ import annotations

import io
import zipfile

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify

from .models import CorrectiveAction, Inspection, InspectionPlan, Mode
from .sections import SECTIONS


def inspection_file_zip(inspection: Inspection) -> tuple[str, bytes]:
    """The inspection file as one zip: a summary of the record and every document attached."""
    documents = [e.document for e in inspection.evidence.select_related("document")]
    if inspection.self_report_id:
        documents += [e.document for e in inspection.self_report.evidence.select_related("document")]
    documents += [
        a.document
        for a in CorrectiveAction.objects.filter(finding__inspection=inspection).select_related("document")
        if a.document
    ]
    summary = render_to_string(
        "inspections/inspection_file.txt",
        {
            "inspection": inspection,
            "checks": inspection.checks.all(),
            "findings": inspection.findings.all(),
            "titles": {s.key: s.title for s in SECTIONS},
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("00-ho-so-kiem-tra.txt", summary.encode("utf-8"))
        for number, document in enumerate(documents, start=1):
            with document.file.open("rb") as handle:
                archive.writestr(f"{number:02d}-{document.original_name}", handle.read())
    name = slugify(f"ho-so-kiem-tra-{inspection.agency.code}-{inspection.start_date:%Y-%m-%d}")
    return f"{name}.zip", buffer.getvalue()


PLAN_CHUNK = 1500  # agencies a part of a long plan holds: bounds the memory WeasyPrint keeps for layout


def plan_pdf(plan: InspectionPlan) -> tuple[str, bytes]:
    """The plan as Mẫu 19. KHKT, on-site inspections first."""
    buffer = io.BytesIO()
    write_plan_pdf(plan, buffer)
    return f"mau-19-ke-hoach-kiem-tra-{plan.year}.pdf", buffer.getvalue()


def plan_content(plan: InspectionPlan) -> dict:
    """What the Mẫu 19 prints: the plan's entries (names as on the plan's day) and totals. A render on the
    reports queue pins it beside its parts, so a render resumed after a change still makes one document."""
    from .selectors import plan_day, with_names_then

    day = plan_day(plan)
    entries = with_names_then(
        plan.entries.select_related("agency").order_by("-mode", "planned_date", "agency__name"), lambda entry: day
    )
    counts = {m: plan.entries.filter(mode=m).count() for m in Mode.values}
    return {
        "plan": plan,
        "entries": entries,
        "total": sum(counts.values()),
        "onsite": counts[Mode.ONSITE],
        "dossier": counts[Mode.DOSSIER],
        "budget": plan.entries.aggregate(s=Sum("budget_vnd"))["s"] or 0,
    }


def plan_parts(content: dict) -> int:
    """How many parts the Mẫu 19 is laid out in (PLAN_CHUNK agencies each, one at least)."""
    return max(1, -(-len(content["entries"]) // PLAN_CHUNK))


def write_plan_pdf(plan: InspectionPlan, out, *, parts=None, content: dict | None = None) -> None:
    """Write the Mẫu 19 to `out`. A plan longer than PLAN_CHUNK agencies is laid out in parts (the first
    with the heading, the last with the total and the signature), each written to its own file and joined
    (pdfunite), page numbers carried on: the memory is that of one part, not of 800 pages. With `parts` (the
    reports worker), each part is kept as it is made and a render resumes where it stopped."""
    from .reports.render import Parts, _document

    content = content if content is not None else plan_content(plan)
    if parts is None:
        with Parts.temporary(plan_parts(content)) as parts:
            write_plan_pdf(plan, out, parts=parts, content=content)
        return
    entries = content["entries"]
    starts = [number * PLAN_CHUNK for number in range(plan_parts(content))]
    with translation.override("vi"):
        next_page = 1
        for number, start in enumerate(starts):
            part = {"first": start == 0, "last": start == starts[-1], "offset": start, "first_page": next_page}

            def make(part=part, start=start):
                context = {**content, "entries": entries[start : start + PLAN_CHUNK], "part": part}
                return _document(render_to_string("inspections/pdf/mau19.html", context))

            next_page += parts.add(number, make)
        parts.join(out)


def inspection_form_pdf(inspection: Inspection, form: str) -> tuple[str, bytes]:
    """The inspection decision (Mẫu 20, on-site inspections) or the minutes (Mẫu 21), pre-filled."""
    from .reports.render import render_template_pdf
    from .selectors import with_names_then

    titles = {s.key: s.title for s in SECTIONS}
    with_names_then([inspection], lambda item: item.start_date)  # the name the agency had when inspected
    context = {"inspection": inspection}
    if form == "21":
        checks = {c.item: c for c in inspection.checks.all()}
        context |= {"checks": [(titles[k], checks.get(k)) for k in titles], "findings": inspection.findings.all()}
    data = render_template_pdf(f"inspections/pdf/mau{form}.html", context)
    return f"mau-{form}-{slugify(inspection.agency.code)}-{inspection.start_date:%Y%m%d}.pdf", data
