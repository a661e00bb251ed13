"""Changes to a school's configuration. Each is one transaction with its audit event."""

from django.db import IntegrityError, transaction
from django.forms import ModelForm

from kestrel.accounts.models import User
from kestrel.accounts.second_factor import remove_all_factors
from kestrel.accounts.services import end_other_sessions
from kestrel.audit.services import record
from kestrel.school_calendar.days import forget
from kestrel.school_calendar.models import Closure, Term
from kestrel.students.models import Student
from kestrel.transfers.services import start_for_leavers


class ConfigurationClash(Exception):
    """The database refused the change (two administrators saving the same name at once)."""


def save_configuration(*, actor, request, form: ModelForm, kind: str):
    """Saves a valid configuration form and records who changed what."""
    adding = form.instance.pk is None
    changed = sorted(form.changed_data)
    try:
        with transaction.atomic():
            obj = form.save()
            record(
                action=f"{kind}.{'added' if adding else 'changed'}",
                actor=actor,
                request=request,
                obj=obj,
                school=actor.school,
                student=obj if obj._meta.label_lower == "students.student" else None,
                detail={"fields": changed},
            )
            if isinstance(obj, Term | Closure):
                # School days are counted from the calendar: this process counts anew at once
                # (others within a minute).
                forget(obj.school_id)
            if isinstance(obj, Student) and "on_roll" in changed and not obj.on_roll:
                # Marked as left here: a child with a file gets their transfer at once, its
                # destination for the DSL team to record (kestrel.transfers).
                start_for_leavers(obj.school_id)
            if isinstance(obj, User) and "is_active" in changed and not obj.is_active:
                # A deactivated account can do nothing, at once: end every session it has.
                end_other_sessions(user=obj, keep_session_key=None, request=request)
    except IntegrityError as error:
        raise ConfigurationClash(str(error)) from error
    return obj


def update_school(*, actor, request, form: ModelForm):
    """Saves the school's own details (name, policies, help links)."""
    with transaction.atomic():
        school = form.save()
        forget(school.pk)  # its bank holidays may have changed
        record(
            action="school.changed",
            actor=actor,
            request=request,
            obj=school,
            school=school,
            detail={"fields": sorted(form.changed_data)},
        )
    return school


def reset_second_factor(*, actor, request, staff: User) -> None:
    """For a colleague who lost their phone: removes every second factor and ends their sessions.

    They set up a new authenticator the next time they sign in.
    """
    with transaction.atomic():
        removed = remove_all_factors(staff)
        end_other_sessions(user=staff, keep_session_key=None, request=request)
        record(
            action="second_factor.reset_by_administrator",
            actor=actor,
            request=request,
            obj=staff,
            detail={"devices_removed": removed},
        )
