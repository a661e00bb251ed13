"""Refusing a record, always on the record: every refusal writes one audit row, then answers.

Views fetch a record by the id they were asked for through `get_for_user`, with a queryset
already narrowed to what the user may see. Whatever the user is refused, the audit row says who
asked (the viewer's own school's chain, even when the record is another school's), what kind of
record, which id as asked, and why; never anything the record holds.

Why a record is refused:
- not_visible: the record is of the viewer's school, but not one they may see;
- not_allowed: they may see it but not do this to it (or the page is not theirs at all);
- other_school: the record belongs to another school;
- key_locked: a key holder asked with their key locked (they are sent to unlock it);
- no_such_record: nothing has that id.
"""

from typing import NoReturn

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldError, PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import resolve_url

from kestrel.access.keys import key_unlocked
from kestrel.audit.services import record
from kestrel.ids import is_id

NOT_VISIBLE = "not_visible"
NOT_ALLOWED = "not_allowed"
OTHER_SCHOOL = "other_school"
KEY_LOCKED = "key_locked"
NO_SUCH_RECORD = "no_such_record"
REASONS = {NOT_VISIBLE, NOT_ALLOWED, OTHER_SCHOOL, KEY_LOCKED, NO_SUCH_RECORD}


class SendToUnlock(Exception):
    """Raised by a door for a key holder whose key is locked; `PrivatePagesMiddleware` answers
    it with the redirect to unlock their key (and come back)."""

    def __init__(self, response):
        super().__init__("Key locked")
        self.response = response


def record_refusal(request, *, kind: str, asked, reason: str, **detail) -> None:
    """Writes the audit row of one refusal (metadata only: never the record's content)."""
    if reason not in REASONS:
        raise ValueError(f"Unknown refusal reason {reason!r}")
    record(
        action="access.refused",
        request=request,
        detail={
            "kind": kind,
            # PostgreSQL refuses NUL in JSON text: an id as asked may hold anything.
            "id": str(asked).replace("\x00", "")[:40],
            "reason": reason,
            "path": request.path.replace("\x00", "")[:200],
            **detail,
        },
    )


def refuse(
    request, *, kind: str, asked, reason: str, forbidden: bool = False, **detail
) -> NoReturn:
    """Records the refusal, then answers 404 ("no such record for you") or, with `forbidden`,
    403 (a page the user may not open at all)."""
    record_refusal(request, kind=kind, asked=asked, reason=reason, **detail)
    if forbidden:
        raise PermissionDenied
    raise Http404(f"No {kind.replace('_', ' ')} you may open")


def reason_for(request, model: type[models.Model], school_path: str = "school", **lookup) -> str:
    """Why the viewer's queryset did not hold the record `lookup` names: another school's, one of
    their own school they may not see, or none at all. Read only once a record is refused."""
    rows = model._base_manager.filter(**lookup)
    try:
        schools = list(rows.values_list(f"{school_path}_id", flat=True)[:1])
    except FieldError:  # a record that belongs to no school
        return NOT_VISIBLE if rows.exists() else NO_SUCH_RECORD
    if not schools:
        return NO_SUCH_RECORD
    return NOT_VISIBLE if schools[0] == request.user.school_id else OTHER_SCHOOL


def get_for_user(request, queryset: models.QuerySet, *, kind: str, school_path="school", **lookup):
    """The record `lookup` names from `queryset` (what the viewer may see); if it is not there,
    the refusal is recorded, with why, and the answer is 404 whether or not the record exists."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        refuse_lookup(request, queryset.model, kind=kind, school_path=school_path, **lookup)


def refuse_lookup(
    request, model: type[models.Model], *, kind: str, school_path="school", **lookup
) -> NoReturn:
    """Records the refusal of the record `lookup` names, with why (`reason_for`); answers 404."""
    asked = lookup.get("pk", next(iter(lookup.values()), ""))
    refuse(
        request, kind=kind, asked=asked, reason=reason_for(request, model, school_path, **lookup)
    )


def refuse_or_unlock(request, model: type[models.Model], *, kind: str, **lookup):
    """For pages a key holder may see with their key unlocked: a key holder whose key is locked
    is sent to unlock it (the refusal recorded as key_locked when the record is their school's);
    anyone else is refused as `refuse_lookup` refuses."""
    if not (request.user.is_key_holder and not key_unlocked(request)):
        refuse_lookup(request, model, kind=kind, **lookup)
    reason = reason_for(request, model, **lookup)
    asked = lookup.get("pk", next(iter(lookup.values()), ""))
    record_refusal(
        request, kind=kind, asked=asked, reason=KEY_LOCKED if reason == NOT_VISIBLE else reason
    )
    return redirect_to_login(request.get_full_path(), resolve_url("key:unlock"))


REFUSED_CHOICE = {"invalid_choice", "invalid_pk_value"}
MOST_RECORDED = 20  # refusals recorded for one form: enough to show someone probing ids


def record_refused_choices(request, form) -> None:
    """Records each id a form was sent that its choices refused (another school's student,
    colleague, category...): the form answers "Select a valid choice", and the asking is on the
    record. Reads the database only when a form has such an error."""
    asked_ids = []
    for name, errors in form.errors.as_data().items():
        field = form.fields.get(name)
        if not isinstance(field, forms.ModelChoiceField) or field.to_field_name:
            continue
        if not any(error.code in REFUSED_CHOICE for error in errors):
            continue
        values = form.data.getlist(form.add_prefix(name)) if hasattr(form.data, "getlist") else []
        ids = [value for value in values if is_id(value)][:MOST_RECORDED]
        found = {str(pk) for pk in field.queryset.filter(pk__in=ids).values_list("pk", flat=True)}
        asked_ids += [(field.queryset.model, value) for value in ids if value not in found]
    for model, value in asked_ids[:MOST_RECORDED]:
        record_refusal(
            request,
            kind=model._meta.model_name,
            asked=value,
            reason=reason_for(request, model, pk=value),
        )
