"""Changes to a school's configuration. Each is one transaction with its audit event."""

from django.db import IntegrityError, transaction
from django.forms import ModelForm

from kestrel.audit.services import record


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
    except IntegrityError as error:
        raise ConfigurationClash(str(error)) from error
    return obj


def update_school(*, actor, request, form: ModelForm):
    """Saves the school's own details (name, policies, help links)."""
    with transaction.atomic():
        school = form.save()
        record(
            action="school.changed",
            actor=actor,
            request=request,
            obj=school,
            school=school,
            detail={"fields": sorted(form.changed_data)},
        )
    return school
