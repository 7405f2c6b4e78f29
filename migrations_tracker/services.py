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

from .models import (
    AdministrativeProcedure,
    Announcement,
    Attendance,
    LegalChange,
    Milestone,
    Process,
    ProcessRevision,
    QMSProfile,
    RoleAssignment,
    StaffMember,
    Stage,
    TrainingCourse,
    Version,
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


@transaction.atomic
def announcement_create(
    *, agency: Agency, announcement: Announcement, actor: User, upload: UploadedFile | None = None
) -> Announcement:
    """Record an announcement; the profile follows it (version, stage), and a re-announcement on 2015 of an
    agency that had announced on 2008 completes its transition."""
    announcement.agency = agency
    record_save(announcement, agency=agency, upload=upload, actor=actor)
    profile = profile_for(agency)
    latest = agency.announcements.order_by("-decision_date", "-pk").first()
    if latest.pk == announcement.pk:
        profile.version = announcement.version
        if profile.stage in (Stage.BUILDING, Stage.APPLYING):
            profile.stage = Stage.ANNOUNCED
        profile.revision += 1  # an edit of the profile opened before this announcement must not undo it
        profile.save()
    had_2008 = agency.announcements.filter(version=Version.ISO_2008, decision_date__lte=announcement.decision_date)
    if announcement.version == Version.ISO_2015 and had_2008.exists():
        Milestone.objects.get_or_create(
            agency=agency,
            kind=Milestone.Kind.REANNOUNCED,
            defaults={"date": announcement.decision_date, "note": announcement.decision_number},
        )
    return announcement


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
    kind: str,
    date: datetime.date,
    actor: User,
    note: str = "",
    upload: UploadedFile | None = None,
) -> Milestone:
    """Record (or correct the date of) one transition milestone; each happens once per agency."""
    milestone = Milestone.objects.filter(agency=agency, kind=kind).first() or Milestone(agency=agency, kind=kind)
    milestone.date, milestone.note = date, note
    return record_save(milestone, agency=agency, upload=upload, actor=actor)
