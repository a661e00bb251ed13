"""Parts Add Incident and Add Action share: the "Alert Staff Members" chooser, the Files
field, the agency boxes, a fresh form's first values, and a service's refusal put next to its
fields."""

import uuid

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kestrel.accounts.selectors import active_colleagues_with_ids
from kestrel.alerts.selectors import alert_group_memberships
from kestrel.files.checks import ACCEPTED_LABEL, MAX_LABEL
from kestrel.ids import is_id
from kestrel.incidents import services
from kestrel.incidents.selectors import files_chosen


def fresh_initial() -> dict:
    """A new form's first values: now, and a new submission key."""
    now = timezone.localtime()
    return {
        "occurred_on": now.date(),
        "occurred_time": now.strftime("%H:%M"),
        "submission": uuid.uuid4().hex,
    }


def refused(form, error: ValidationError, request=None) -> None:
    """Puts a service's refusal next to the fields it is about (or above the form). Pictures
    refused in a "No images" category are shown in the Files box, and are not kept."""
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)
        if field == "files" and request is not None:
            form.files_error = messages_[0]
            services.discard_refused_pictures(
                actor=request.user, ids=request.POST.getlist("files"), request=request
            )


def colleague(user) -> dict:
    """A colleague as the "Alert Staff Members" chooser knows them (no child data)."""
    return {"id": user.pk, "name": user.full_name, "title": user.job_title}


def read_agencies_once(form) -> None:
    """The agency boxes from one query, for the page's "are there any" test and the boxes alike."""
    form.fields["agencies"].choices = [
        (agency.pk, agency.name) for agency in form.fields["agencies"].queryset
    ]


def staff_chooser(request, form, known=()) -> dict:
    """The alert groups the "Alert Staff Members" chooser offers, and the colleagues it must know
    by name before anyone types: group members, people chosen before a refused submit, and
    `known` (users). Others are found by typing (`staff_search`).

    Groups and their members come in one query, which also gives the group checkboxes their
    choices; a group with no active member has no one to alert and is not offered."""
    groups, people = _groups(request.school, known)
    form.fields["alert_groups"].choices = [
        (group["id"], group["name"]) for group in groups.values()
    ]
    chosen = [str(pk) for pk in form["alert_staff"].value() or [] if is_id(pk)]
    missing = [pk for pk in chosen if int(pk) not in people]
    if missing:
        people.update((user.pk, user) for user in active_colleagues_with_ids(missing))
    return {
        "staff": [colleague(user) for pk, user in people.items() if pk != request.user.pk],
        "groups": list(groups.values()),
        "chosenStaff": chosen,
        "staffSearchUrl": reverse("staff_search"),
    }


def _groups(school, known) -> tuple[dict[int, dict], dict]:
    """The school's alert groups with their members' ids, and every colleague named (members
    and `known`) by id."""
    groups: dict[int, dict] = {}
    people = {user.pk: user for user in known}
    for row in alert_group_memberships(school):
        group = groups.setdefault(
            row.alertgroup_id, {"id": row.alertgroup_id, "name": row.alertgroup.name, "members": []}
        )
        group["members"].append(row.user_id)
        people[row.user_id] = row.user
    return groups, people


def files_context(request, extra_ids=()) -> dict:
    """The Files field: its limits, and files already uploaded when a submit was refused."""
    ids = [pk for pk in request.POST.getlist("files") if is_id(pk)] if request.POST else []
    ids += [str(pk) for pk in extra_ids if is_id(pk)]
    return {
        "files_limit": MAX_LABEL,
        "files_accepted": ACCEPTED_LABEL,
        "chosen_files": files_chosen(request.user, ids),
    }
