"""Writes to an agency's QMS record. Views, imports and the demo all come through here.

Every service takes the actor and asks `iso_tracker.permissions` whether they may write: an agency's
records are for DOST of its province and its own secretary (`agency.edit`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Province, User
from agencies.services import agency_update
from agencies.uploads import document_store
from iso_tracker.concurrency import EditConflict
from iso_tracker.permissions import require

from . import snapshots
from .campaign_templates import TEMPLATES
from .models import (
    AdministrativeProcedure,
    AmendmentCheck,
    Announcement,
    Attendance,
    Campaign,
    ConsultantContract,
    Edition,
    LegalChange,
    Milestone,
    Process,
    ProcessRevision,
    QMSProfile,
    Review,
    RoleAssignment,
    StaffMember,
    Stage,
    Step,
    TrainingCourse,
)
from .selectors import revision_due


def profile_for(agency: Agency) -> QMSProfile:
    return QMSProfile.objects.get_or_create(agency=agency)[0]


def _attach(instance: models.Model, field: str, agency: Agency, upload: UploadedFile | None, actor: User):
    if upload is not None:
        setattr(instance, field, document_store(agency=agency, upload=upload, actor=actor))


@transaction.atomic
def record_save(
    instance: models.Model,
    *,
    agency: Agency,
    actor: User,
    upload: UploadedFile | None = None,
    document_field: str = "document",
) -> models.Model:
    """Validate and save one record of an agency's QMS, with its evidence file if one was uploaded.

    The file is checked before anything is written, so a bad file saves nothing."""
    require(actor, "agency.edit", agency)
    _attach(instance, document_field, agency, upload, actor)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def profile_update(
    *,
    agency: Agency,
    actor: User,
    upload: UploadedFile | None = None,
    expected_revision: int | None = None,
    **fields,
) -> QMSProfile:
    """Edit the profile the user opened (`expected_revision`); a newer save is not overwritten (EditConflict)."""
    require(actor, "agency.edit", agency)
    profile = profile_for(agency)
    profile = QMSProfile.objects.select_for_update().get(pk=profile.pk)
    if expected_revision is not None and profile.revision != expected_revision:
        raise EditConflict
    profile.revision += 1
    for name, value in fields.items():
        setattr(profile, name, value)
    return record_save(profile, agency=agency, upload=upload, actor=actor, document_field="policy_document")


def _complete(agency: Agency, steps: models.QuerySet[Step], date: datetime.date, note: str) -> None:
    """A record that completes milestones by itself (an announcement, audit, review or contract on the
    target edition): each such milestone of the agency's province is reached on the record's date,
    unless it was already reached."""
    for step in steps.filter(campaign__province_id=agency.province_id):
        Milestone.objects.get_or_create(agency=agency, step=step, defaults={"date": date, "note": note[:300]})


@transaction.atomic
def announcement_create(
    *, agency: Agency, announcement: Announcement, actor: User, upload: UploadedFile | None = None
) -> Announcement:
    """Record an announcement; the profile follows it (edition, stage), and an announcement on a
    transition's target by an agency that had announced on one of its "from" editions completes the
    transition's re-announcement milestone."""
    announcement.agency = agency
    record_save(announcement, agency=agency, upload=upload, actor=actor)
    profile = profile_for(agency)
    latest = agency.announcements.order_by("-decision_date", "-pk").first()
    if latest.pk == announcement.pk:
        profile.edition_id = announcement.edition_id
        if profile.stage in (Stage.BUILDING, Stage.APPLYING):
            profile.stage = Stage.ANNOUNCED
        profile.revision += 1  # an edit of the profile opened before this announcement must not undo it
        profile.save()
    earlier = agency.announcements.filter(decision_date__lte=announcement.decision_date).exclude(pk=announcement.pk)
    steps = Step.objects.filter(
        completed_by=Step.CompletedBy.ANNOUNCEMENT,
        campaign__to_edition_id=announcement.edition_id,
        campaign__from_editions__code__in=earlier.values("edition_id"),
    ).distinct()
    _complete(agency, steps, announcement.decision_date, announcement.decision_number)
    return announcement


@transaction.atomic
def review_create(*, agency: Agency, review: Review, actor: User, upload: UploadedFile | None = None) -> Review:
    """Record an internal audit or management review; one against a transition's target edition
    completes that transition's audit or review milestone."""
    review.agency = agency
    record_save(review, agency=agency, upload=upload, actor=actor)
    if review.edition_id:
        steps = Step.objects.filter(completed_by=review.kind, campaign__to_edition_id=review.edition_id)
        _complete(agency, steps, review.date, review.scope)
    return review


@transaction.atomic
def contract_create(
    *, agency: Agency, contract: ConsultantContract, actor: User, upload: UploadedFile | None = None
) -> ConsultantContract:
    """Record a consultant contract; one for a transition completes its "consultant engaged" milestone."""
    contract.agency = agency
    if contract.campaign_id and contract.campaign.province_id != agency.province_id:
        raise ValidationError({"campaign": _("Choose a transition of the agency's province.")})
    record_save(contract, agency=agency, upload=upload, actor=actor)
    if contract.campaign_id:
        steps = Step.objects.filter(completed_by=Step.CompletedBy.CONTRACT, campaign_id=contract.campaign_id)
        _complete(agency, steps, contract.signed_on, contract.consultant)
    return contract


def _scope_changed(agency: Agency, on: datetime.date | None = None) -> None:
    profile = profile_for(agency)
    profile.scope_changed_on = on or timezone.localdate()
    profile.save(update_fields=["scope_changed_on"])


@transaction.atomic
def procedure_create(
    *, agency: Agency, procedure: AdministrativeProcedure, actor: User, on: datetime.date | None = None
) -> AdministrativeProcedure:
    require(actor, "agency.edit", agency)
    procedure.agency = agency
    procedure.full_clean()
    procedure.save()
    _scope_changed(agency, on)
    return procedure


@transaction.atomic
def procedure_update(*, procedure: AdministrativeProcedure, actor: User, **fields) -> AdministrativeProcedure:
    """Change a procedure's name, field, legal basis or national code (the import of a newer list)."""
    require(actor, "agency.edit", procedure.agency)
    for name, value in fields.items():
        setattr(procedure, name, value)
    procedure.full_clean()
    procedure.save()
    return procedure


@transaction.atomic
def procedure_delete(*, procedure: AdministrativeProcedure, actor: User) -> None:
    agency = procedure.agency
    require(actor, "agency.edit", agency)
    procedure.delete()
    _scope_changed(agency)


@transaction.atomic
def process_save(
    *,
    agency: Agency,
    process: Process,
    procedures: Iterable[AdministrativeProcedure],
    actor: User,
    upload: UploadedFile | None = None,
) -> Process:
    procedures = list(procedures)
    if any(p.agency_id != agency.pk for p in procedures):
        raise ValidationError({"procedures": _("A process can only serve its own agency's procedures.")})
    process.agency = agency
    record_save(process, agency=agency, upload=upload, actor=actor)
    process.procedures.set(procedures)
    return process


@transaction.atomic
def legal_change_create(*, province: Province, legal_change: LegalChange, actor: User) -> LegalChange:
    require(actor, "legal_change.add", province)
    legal_change.province = province
    legal_change.created_by = actor if isinstance(actor, User) else None
    if legal_change.effective_date:
        legal_change.revision_due_on = revision_due(legal_change.effective_date)
    legal_change.full_clean()
    legal_change.save()
    return legal_change


@transaction.atomic
def revisions_mark(*, legal_change: LegalChange, agency: Agency, processes: Iterable[Process], actor: User) -> None:
    """The agency says which of its processes the legal change affects (replacing its earlier answer)."""
    require(actor, "agency.edit", agency)
    if legal_change.province_id != agency.province_id:
        raise ValidationError(_("The legal change is in another province."))
    processes = list(processes)
    if any(p.agency_id != agency.pk for p in processes):
        raise ValidationError(_("Choose only this agency's processes."))
    keep = {p.pk for p in processes}
    ProcessRevision.objects.filter(legal_change=legal_change, process__agency=agency).exclude(
        process_id__in=keep
    ).delete()
    for process in processes:
        ProcessRevision.objects.get_or_create(legal_change=legal_change, process=process)


@transaction.atomic
def revision_done(*, revision: ProcessRevision, revised_on: datetime.date, actor: User) -> ProcessRevision:
    require(actor, "agency.edit", revision.process.agency)
    if revised_on < revision.legal_change.effective_date - datetime.timedelta(days=366):
        raise ValidationError({"revised_on": _("The revision date is long before the law changed.")})
    revision.revised_on = revised_on
    revision.save()
    return revision


@transaction.atomic
def role_assign(
    *, staff: StaffMember, role: str, start_date: datetime.date, actor: User, end_date: datetime.date | None = None
) -> RoleAssignment:
    """Give `staff` a QMS role. A new ISO secretary or leadership representative takes over: the
    previous holder's open assignment ends the day before, so hand-overs are kept."""
    require(actor, "agency.edit", staff.agency)
    if role in (RoleAssignment.Role.SECRETARY, RoleAssignment.Role.LEADERSHIP_REP):
        previous = RoleAssignment.objects.filter(
            staff__agency=staff.agency, role=role, end_date__isnull=True, start_date__lt=start_date
        ).exclude(staff=staff)
        for assignment in previous:
            assignment.end_date = start_date - datetime.timedelta(days=1)
            assignment.save()
    assignment = RoleAssignment(staff=staff, role=role, start_date=start_date, end_date=end_date)
    assignment.full_clean()
    assignment.save()
    if role == RoleAssignment.Role.SECRETARY and end_date is None and start_date <= timezone.localdate():
        # The registry's contact follows the hand-over, so reminders reach the person now in charge.
        agency_update(
            actor=actor,
            agency=staff.agency,
            secretary_name=staff.full_name,
            secretary_email=staff.email,
            secretary_phone=staff.phone,
        )
    return assignment


@transaction.atomic
def course_create(*, province: Province, course: TrainingCourse, actor: User) -> TrainingCourse:
    require(actor, "training.manage", province)
    course.province = province
    if course.end_date and course.start_date and course.end_date < course.start_date:
        raise ValidationError({"end_date": _("A course cannot end before it starts.")})
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def attendance_add(
    *,
    course: TrainingCourse,
    staff: StaffMember,
    actor: User,
    certificate_number: str = "",
    upload: UploadedFile | None = None,
) -> Attendance:
    if course.province_id != staff.agency.province_id:
        raise ValidationError(_("The course is in another province."))
    attendance = Attendance(course=course, staff=staff, certificate_number=certificate_number)
    return record_save(attendance, agency=staff.agency, upload=upload, actor=actor)


@transaction.atomic
def milestone_record(
    *,
    agency: Agency,
    step: Step,
    date: datetime.date,
    actor: User,
    note: str = "",
    upload: UploadedFile | None = None,
) -> Milestone:
    """Record (or correct the date of) one milestone of a transition; each is reached once per agency."""
    if step.campaign.province_id != agency.province_id:
        raise ValidationError({"step": _("Choose a milestone of a transition of the agency's province.")})
    milestone = Milestone.objects.filter(agency=agency, step=step).first() or Milestone(agency=agency, step=step)
    milestone.date, milestone.note = date, note
    return record_save(milestone, agency=agency, upload=upload, actor=actor)


@transaction.atomic
def amendment_check_record(
    *,
    agency: Agency,
    edition: Edition,
    considered: bool,
    checked_on: datetime.date,
    actor: User,
    note: str = "",
    upload: UploadedFile | None = None,
) -> AmendmentCheck:
    """Record (or correct) an agency's answer to an amendment that needs no re-announcement."""
    if not edition.is_amendment:
        raise ValidationError({"edition": _("Choose an amendment.")})
    check = AmendmentCheck.objects.filter(agency=agency, edition=edition).first() or AmendmentCheck(
        agency=agency, edition=edition
    )
    check.considered, check.checked_on, check.note = considered, checked_on, note
    return record_save(check, agency=agency, upload=upload, actor=actor)


# --- The national list of editions and a province's transitions -------------------------------------


@transaction.atomic
def edition_save(*, edition: Edition, actor: User) -> Edition:
    require(actor, "editions.manage")
    edition.full_clean()
    edition.save()
    return edition


@transaction.atomic
def campaign_open(
    *,
    province: Province,
    actor: User,
    template: str,
    from_editions: Iterable[Edition],
    to_edition: Edition,
    opened_on: datetime.date,
    deadline: datetime.date,
    basis: str = "",
) -> Campaign:
    """Open a transition for the province, with the milestones of a template (DOST edits them after)."""
    require(actor, "campaigns.manage", province)
    if template not in TEMPLATES:
        raise ValidationError({"template": _("Choose one of the templates.")})
    campaign = Campaign(province=province, to_edition=to_edition, opened_on=opened_on, deadline=deadline, basis=basis)
    campaign.full_clean()
    campaign.save()
    campaign.from_editions.set(from_editions)
    for order, (key, name_vi, name_en, evidence, completed_by) in enumerate(TEMPLATES[template][1], 1):
        Step.objects.create(
            campaign=campaign,
            key=key,
            name_vi=name_vi,
            name_en=name_en,
            order=order,
            evidence_required=evidence,
            completed_by=completed_by,
        )
    snapshots.forget(province.pk)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: User, from_editions: Iterable[Edition] | None = None) -> Campaign:
    require(actor, "campaigns.manage", campaign)
    campaign.full_clean()
    campaign.save()
    if from_editions is not None:
        campaign.from_editions.set(from_editions)
    snapshots.forget(campaign.province_id)
    return campaign


@transaction.atomic
def step_save(*, step: Step, actor: User) -> Step:
    require(actor, "campaigns.manage", step.campaign)
    step.full_clean()
    step.save()
    snapshots.forget(step.campaign.province_id)
    return step


@transaction.atomic
def step_delete(*, step: Step, actor: User) -> None:
    """Remove a milestone no agency has reached (a reached one keeps its records: it cannot go)."""
    require(actor, "campaigns.manage", step.campaign)
    if step.milestones.exists():
        raise ValidationError(_("Agencies have reached this milestone: it cannot be removed."))
    step.delete()
    snapshots.forget(step.campaign.province_id)
