"""The objects the URL × role matrix visits: the Cao Bằng demo plus one of each thing the demo lacks
(an evidence file, an annual report file, a notification), and the six visitors."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from agencies.models import Agency, ApiToken, ApplicationRule, Document, Province, Reorganisation, User
from agencies.tests.factories import make_agency, make_user
from inspections.models import (
    AnnualReport,
    CorrectiveAction,
    Finding,
    Inspection,
    InspectionPlan,
    PlanEntry,
    ReportFile,
    ReportingRound,
    SelfReport,
    SignedPdf,
)
from migrations_tracker.models import (
    AdministrativeProcedure,
    Announcement,
    Campaign,
    LegalChange,
    Process,
    ProcessRevision,
    QMSProfile,
    Review,
)
from migrations_tracker.selectors import FLAGS
from notifications.models import Notification, Reminder

ROLES = ["anonymous", "dost", "leadership", "secretary", "other_secretary", "foreign_dost", "ministry"]


@dataclass
class World:
    agency: Agency  # the agency every object below belongs to
    users: dict[str, User | None] = field(default_factory=dict)
    kwargs: dict[str, dict] = field(default_factory=dict)


def build_world() -> World:
    from conftest import seed_demo_quietly

    seed_demo_quietly()  # present already when the session's demo is open; then this changes nothing
    action = (  # an agency that exists today (a merged one's records went to its successor)
        CorrectiveAction.objects.select_related("finding__inspection__agency")
        .filter(finding__inspection__agency__ended_on__isnull=True)
        .order_by("pk")
        .first()
    )
    inspection = action.finding.inspection
    agency = inspection.agency
    province = agency.province
    secretary = User.objects.filter(role=User.Role.SECRETARY, agency=agency).first()
    other_secretary = User.objects.filter(role=User.Role.SECRETARY, agency__province=province).exclude(agency=agency)[0]
    foreign = Province.objects.create(code="06", name="Bắc Kạn")
    make_agency(foreign, code="BK-SNV", name="Sở Nội vụ Bắc Kạn")
    world = World(
        agency=agency,
        users={
            "anonymous": None,
            "dost": User.objects.get(username="dost"),
            "leadership": User.objects.get(username="lanhdao"),
            "secretary": secretary,
            "other_secretary": other_secretary,
            "foreign_dost": make_user("dost-bk", User.Role.DOST, province=foreign),
            # Ministry staff, looking at the agency's province (chosen on the national dashboard)
            "ministry": make_user("bo-khcn", User.Role.MINISTRY),
        },
    )

    document = Document(agency=agency, original_name="quyết-định.pdf", content_type="application/pdf", size=8)
    document.file.save("x", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    report = AnnualReport.objects.create(province=province, year=2019)
    report_file = ReportFile(report=report, format="xlsx", status="ready", data_hash="0" * 64, size=2)
    report_file.file.save("bao-cao.xlsx", ContentFile(b"PK"), save=False)
    report_file.finished_at = timezone.now()
    report_file.save()
    reminder = Reminder.objects.create(
        kind="report_due",
        key="matrix",
        recipient=secretary,
        province=province,
        title="Nhắc hạn",
        body="Nhắc hạn báo cáo",
        url=f"/agencies/{agency.pk}/",
        swept_on=datetime.date(2026, 11, 27),
    )
    notification = Notification.objects.create(user=secretary, reminder=reminder, title="Nhắc hạn", body="…")
    round_ = ReportingRound.objects.filter(province=province).order_by("-pk").first()
    SelfReport.objects.get_or_create(round=round_, agency=agency)
    plan = InspectionPlan.objects.filter(province=province).first()
    entry = PlanEntry.objects.filter(plan=plan, agency=agency).first() or PlanEntry.objects.create(
        plan=plan, agency=agency
    )
    legal_change = LegalChange.objects.filter(province=province).first()
    revision = ProcessRevision.objects.filter(process__agency=agency).first()
    if revision is None:
        process = Process.objects.filter(agency=agency).first() or Process.objects.create(
            agency=agency, code="QT-MT", name="Quy trình thử"
        )
        revision = ProcessRevision.objects.create(legal_change=legal_change, process=process)
    procedure = AdministrativeProcedure.objects.filter(agency=agency).first()
    profile = QMSProfile.objects.get_or_create(agency=agency)[0]
    announcement = Announcement.objects.filter(agency=agency).first() or Announcement.objects.create(
        agency=agency, decision_number="1/QĐ-MT", decision_date=datetime.date(2019, 5, 1), edition_id="2015", scope="x"
    )
    review = Review.objects.filter(agency=agency).first() or Review.objects.create(
        agency=agency, kind="audit", date=datetime.date(2019, 6, 1)
    )
    token, _text = ApiToken.issue(
        user=world.users["dost"], name="matrix", read_only=True, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    reorganisation = Reorganisation.objects.filter(province=province).first()
    finding = Finding.objects.filter(inspection__agency=agency).first()
    onsite = Inspection.objects.filter(agency=agency).order_by("mode").first()
    signed = SignedPdf(
        kind="mau21", province=province, inspection=onsite, source="upload", sha256="0" * 64, size=8, signer="x"
    )
    signed.file.save("x", ContentFile(b"%PDF-1.7"), save=False)
    signed.save()

    campaign = Campaign.objects.filter(province=province).order_by("-opened_on").first()
    step = campaign.steps.order_by("-order").first()
    rule = ApplicationRule.objects.create(
        province=province,
        category="commune_pc",
        obligation="mandatory",
        valid_from=datetime.date(2026, 1, 1),
        basis="x",
    )
    a = {"pk": agency.pk}
    world.kwargs = {
        "agencies:rule_delete": {"pk": rule.pk},
        "agencies:handover": {"pk": Agency.objects.filter(province=province, ended_on__isnull=False).first().pk},
        "qms:edition_edit": {"pk": campaign.to_edition.pk},
        "qms:campaign": {"pk": campaign.pk},
        "qms:campaign_edit": {"pk": campaign.pk},
        "qms:step_edit": {"pk": campaign.pk, "step_pk": step.pk},
        "qms:step_delete": {"pk": campaign.pk, "step_pk": step.pk},
        "agencies:detail": a,
        "agencies:edit": a,
        "agencies:document": {"uuid": document.uuid},
        "agencies:reorganisation_detail": {"pk": reorganisation.pk},
        "agencies:reorganisation_create": {"kind": "merge"},
        "qms:flag": {"key": FLAGS[0].key},
        "qms:profile": a,
        "qms:profile_edit": a,
        "qms:add": {"pk": agency.pk, "section": "review"},
        "qms:procedure_import": a,
        "qms:procedure_delete": {"pk": agency.pk, "procedure_pk": procedure.pk},
        "qms:revisions_edit": {"pk": agency.pk, "legal_change_pk": legal_change.pk},
        "qms:revision_done": {"pk": agency.pk, "revision_pk": revision.pk},
        "qms:legal_change": {"pk": legal_change.pk},
        "inspections:round": {"pk": round_.pk},
        "inspections:report": {"round_pk": round_.pk, "agency_pk": agency.pk},
        "inspections:report_decide": {"round_pk": round_.pk, "agency_pk": agency.pk},
        "inspections:evidence_add": {"round_pk": round_.pk, "agency_pk": agency.pk},
        "inspections:plan": {"pk": plan.pk},
        "inspections:plan_entry": {"pk": entry.pk},
        "inspections:plan_pdf": {"pk": plan.pk},
        "inspections:inspection_pdf": {"pk": onsite.pk, "form": "21"},
        "inspections:start": {"entry_pk": entry.pk},
        "inspections:inspection": {"pk": inspection.pk},
        "inspections:inspection_file": {"pk": inspection.pk},
        "inspections:finding": {"pk": finding.pk},
        "inspections:action_decide": {"pk": action.pk},
        "inspections:annual_report": {"year": 2019},
        "inspections:annual_report_generate": {"year": 2019},
        "inspections:report_file": {"pk": report_file.pk},
        "inspections:signatures": {"kind": "mau21", "ref": onsite.pk},
        "inspections:signed_pdf": {"pk": signed.pk},
        "notifications:open": {"pk": notification.pk},
        "accounts:edit": {"pk": secretary.pk},
        "accounts:two_factor_reset": {"pk": secretary.pk},
        "accounts:invite": {"pk": secretary.pk},
        "invitation": {"uidb64": "MQ", "token": "bad-token"},
        "qms:national_go": {"pk": province.pk},
        "qms:national_report": {"year": 2019},
        "token_revoke": {"pk": token.pk},
        "api:agency-detail": a,
        "api:qms-profile-detail": {"pk": profile.pk},
        "api:announcement-detail": {"pk": announcement.pk},
        "api:review-detail": {"pk": review.pk},
        "api:procedure-detail": {"pk": procedure.pk},
        "api:process-detail": {"pk": revision.process_id},
        "api:inspection-detail": {"pk": inspection.pk},
        "api:finding-detail": {"pk": finding.pk},
        "api:finding-actions": {"pk": finding.pk},
        "api:signed-document-detail": {"pk": signed.pk},
        "api:signed-document-file": {"pk": signed.pk},
        "api:self-report-detail": {"pk": SelfReport.objects.get(round=round_, agency=agency).pk},
    }
    return world
