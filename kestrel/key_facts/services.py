"""Recording a child's key facts. Every change is a new version (nothing is overwritten), made in
one transaction with its audit event; the event says what kind of change it was and which fields
it touched, never their values. A change to a contact, a professional or the notes names the
version it started from: if someone else saved one meanwhile, it is refused (`ChangedMeanwhile`)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from kestrel.audit.services import record
from kestrel.key_facts.models import (
    Change,
    Contact,
    ContactVersion,
    NotesVersion,
    Professional,
    ProfessionalVersion,
    Role,
)
from kestrel.key_facts.selectors import current_contacts, differences


class ChangedMeanwhile(Exception):
    """Someone else saved a change after the editor opened the form: `current` is that change,
    `started` the version the editor started from (None if there was none)."""

    def __init__(self, *, started: Change | None, current: Change):
        super().__init__("Someone else changed this meanwhile.")
        self.started = started
        self.current = current
        self.changes = differences(started, current)


def changed_by_label(actor) -> str:
    """The actor as the history shows them, as they were on the day: "Chloe Kelan (DSL)"."""
    return f"{actor.full_name} ({actor.job_title})" if actor.job_title else actor.full_name


def _stamp(actor, school_id) -> dict:
    return {
        "school_id": school_id,
        "changed_by": actor,
        "changed_by_label": changed_by_label(actor),
    }


def _after(latest: Change | None, started_from: int, create, *, newest):
    """Saves the next version (made by `create(number)`) if `latest` is the one the editor
    started from; otherwise, or if another save took the number first, refuses it."""
    number = latest.number if latest is not None else 0
    if number != started_from:
        raise ChangedMeanwhile(started=_version_at(latest, started_from), current=latest)
    try:
        with transaction.atomic():
            return create(number + 1)
    except IntegrityError:  # saved by someone else between our read and our write
        current = newest()
        raise ChangedMeanwhile(started=latest, current=current) from None


def _version_at(latest: Change | None, number: int) -> Change | None:
    if latest is None or number < 1:
        return None
    return (
        type(latest)
        .objects.filter(**{_owner_field(latest): _owner_id(latest), "number": number})
        .first()
    )


def _owner_field(version: Change) -> str:
    return {ContactVersion: "contact_id", ProfessionalVersion: "professional_id"}.get(
        type(version), "student_id"
    )


def _owner_id(version: Change) -> int:
    return getattr(version, _owner_field(version))


def _refuse_if_ended(latest: Change) -> None:
    if getattr(latest, "ended", False):
        raise ValidationError(
            "They are no longer involved, so this can no longer be changed. Add them again if "
            "they are involved again."
        )


def _changed_fields(old: Change | None, new: Change) -> list[str]:
    return [
        field for field in new.FIELDS if old is None or getattr(old, field) != getattr(new, field)
    ]


def _check_contact(values: dict) -> None:
    if values["do_not_contact"] and not values["do_not_contact_reason"].strip():
        raise ValidationError(
            {"do_not_contact_reason": "Enter the reason not to contact them."}, code="required"
        )


def _check_professional(values: dict) -> None:
    if values["role"] not in Role.values:
        raise ValidationError({"role": "Select their role."}, code="invalid_choice")
    if values["role"] == Role.OTHER and not values["other_role"].strip():
        raise ValidationError({"other_role": "Enter their role."}, code="required")
    if values["role"] != Role.OTHER:
        values["other_role"] = ""


def _latest_notes(student) -> NotesVersion | None:
    return NotesVersion.objects.filter(student=student).order_by("-number").first()


def _record(action, *, actor, request, obj, student, version, fields) -> None:
    detail = {"version": version.number, "fields": fields}
    if obj is not None:
        detail[obj._meta.model_name] = obj.pk
    record(action=action, actor=actor, request=request, obj=obj, student=student, detail=detail)


# Each kind of person on the front sheet: their versions' model and its key to them.
VERSIONS = {
    Contact: (ContactVersion, "contact"),
    Professional: (ProfessionalVersion, "professional"),
}


def _next_version(*, actor, owner, started_from, values, request, action):
    """Saves `values` over the latest version of a contact or professional as their next
    version (the other fields copied), unless the editor did not start from the latest
    (`ChangedMeanwhile`), they are no longer involved, or nothing changed (the latest is
    returned)."""
    model, key = VERSIONS[type(owner)]

    def newest():
        return model.objects.filter(**{key: owner}).order_by("-number").first()

    with transaction.atomic():
        type(owner).objects.select_for_update().filter(pk=owner.pk).values_list("pk").first()
        latest = newest()
        if latest is not None and latest.number == started_from:
            _refuse_if_ended(latest)
        copied = {field: getattr(latest, field) for field in model.FIELDS}
        version = model(**{key: owner}, **{**copied, **values})
        fields = _changed_fields(latest, version)
        if not fields and latest is not None and latest.number == started_from:
            return latest

        def create(number):
            version.number = number
            for name, value in _stamp(actor, owner.school_id).items():
                setattr(version, name, value)
            version.save()
            return version

        saved = _after(latest, started_from, create, newest=newest)
        _record(
            action,
            actor=actor,
            request=request,
            obj=owner,
            student=owner.student,
            version=saved,
            fields=fields,
        )
    return saved


def add_contact(
    *,
    actor,
    student,
    name: str,
    relationship: str,
    parental_responsibility: bool = False,
    phone: str = "",
    address: str = "",
    email: str = "",
    do_not_contact: bool = False,
    do_not_contact_reason: str = "",
    priority: int | None = None,
    request=None,
) -> ContactVersion:
    """Records a new contact for `student` (without an order, they come after the others)."""
    values = {
        "name": name,
        "relationship": relationship,
        "parental_responsibility": parental_responsibility,
        "phone": phone,
        "address": address,
        "email": email,
        "do_not_contact": do_not_contact,
        "do_not_contact_reason": do_not_contact_reason if do_not_contact else "",
    }
    _check_contact(values)
    with transaction.atomic():
        if priority is None:
            top = current_contacts(student).aggregate(top=Max("priority"))["top"]
            priority = (top or 0) + 1
        contact = Contact.objects.create(school_id=student.school_id, student=student)
        version = ContactVersion.objects.create(
            contact=contact,
            number=1,
            priority=priority,
            **values,
            **_stamp(actor, contact.school_id),
        )
        _record(
            "key_facts.contact_added",
            actor=actor,
            request=request,
            obj=contact,
            student=student,
            version=version,
            fields=_changed_fields(None, version),
        )
    return version


def change_contact(
    *,
    actor,
    contact: Contact,
    started_from: int,
    name: str,
    relationship: str,
    parental_responsibility: bool,
    phone: str,
    address: str,
    email: str,
    do_not_contact: bool,
    do_not_contact_reason: str,
    priority: int,
    request=None,
) -> ContactVersion:
    """Saves a change to a contact as its next version, if nobody else changed it since version
    `started_from`. Returns the contact's current version (unchanged if nothing was)."""
    values = {
        "name": name,
        "relationship": relationship,
        "parental_responsibility": parental_responsibility,
        "phone": phone,
        "address": address,
        "email": email,
        "do_not_contact": do_not_contact,
        "do_not_contact_reason": do_not_contact_reason if do_not_contact else "",
        "priority": priority,
    }
    _check_contact(values)
    return _next_version(
        actor=actor,
        owner=contact,
        started_from=started_from,
        values=values,
        request=request,
        action="key_facts.contact_changed",
    )


def end_contact(*, actor, contact: Contact, started_from: int, reason: str, request=None):
    """Records that a contact is no longer involved, and why. They stay in the history."""
    if not reason.strip():
        raise ValidationError({"reason": "Enter why they are no longer involved."})
    return _next_version(
        actor=actor,
        owner=contact,
        started_from=started_from,
        values={"ended": True, "end_reason": reason},
        request=request,
        action="key_facts.contact_ended",
    )


def add_professional(
    *,
    actor,
    student,
    role: str,
    name: str,
    other_role: str = "",
    organisation: str = "",
    phone: str = "",
    email: str = "",
    request=None,
) -> ProfessionalVersion:
    """Records a professional involved with `student`."""
    values = {
        "role": role,
        "other_role": other_role,
        "name": name,
        "organisation": organisation,
        "phone": phone,
        "email": email,
    }
    _check_professional(values)
    with transaction.atomic():
        professional = Professional.objects.create(school_id=student.school_id, student=student)
        version = ProfessionalVersion.objects.create(
            professional=professional, number=1, **values, **_stamp(actor, student.school_id)
        )
        _record(
            "key_facts.professional_added",
            actor=actor,
            request=request,
            obj=professional,
            student=student,
            version=version,
            fields=_changed_fields(None, version),
        )
    return version


def change_professional(
    *,
    actor,
    professional: Professional,
    started_from: int,
    role: str,
    other_role: str,
    name: str,
    organisation: str,
    phone: str,
    email: str,
    request=None,
) -> ProfessionalVersion:
    """Saves a change to a professional as its next version, if nobody else changed it since
    version `started_from`. Returns the current version (unchanged if nothing was)."""
    values = {
        "role": role,
        "other_role": other_role,
        "name": name,
        "organisation": organisation,
        "phone": phone,
        "email": email,
    }
    _check_professional(values)
    return _next_version(
        actor=actor,
        owner=professional,
        started_from=started_from,
        values=values,
        request=request,
        action="key_facts.professional_changed",
    )


def end_professional(
    *, actor, professional: Professional, started_from: int, reason: str, request=None
):
    """Records that a professional is no longer involved, and why. They stay in the history."""
    if not reason.strip():
        raise ValidationError({"reason": "Enter why they are no longer involved."})
    return _next_version(
        actor=actor,
        owner=professional,
        started_from=started_from,
        values={"ended": True, "end_reason": reason},
        request=request,
        action="key_facts.professional_ended",
    )


def save_notes(
    *, actor, student, started_from: int, text: str, request=None
) -> NotesVersion | None:
    """Saves the child's free notes as their next version, if nobody else changed them since
    version `started_from` (0: there were none). Returns the current version."""
    with transaction.atomic():
        latest = _latest_notes(student)
        if latest is not None and latest.number == started_from and latest.text == text:
            return latest
        if latest is None and started_from == 0 and not text.strip():
            return None

        def create(number):
            return NotesVersion.objects.create(
                student=student, number=number, text=text, **_stamp(actor, student.school_id)
            )

        saved = _after(latest, started_from, create, newest=lambda: _latest_notes(student))
        _record(
            "key_facts.notes_changed",
            actor=actor,
            request=request,
            obj=None,
            student=student,
            version=saved,
            fields=["text"],
        )
    return saved
