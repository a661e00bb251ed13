"""A complete Add Incident POST for the `setup` school, for tests to change one field of."""

import datetime

from django.utils import timezone


def add_incident_post(setup, people, **changes):
    now = timezone.localtime() - datetime.timedelta(minutes=5)
    data = {
        "submission": "a" * 32,
        "student": setup["hannah"].pk,
        "text": "Hannah said her dad waited at the gate again. She was upset.",
        "categories": [setup["cause"].pk, setup["home"].pk],
        "linked_students": [setup["matthew"].pk],
        "occurred_on_0": now.day,
        "occurred_on_1": now.month,
        "occurred_on_2": now.year,
        "occurred_time": now.strftime("%H:%M"),
        "alert_staff": [people.admin.pk],
        "alert_groups": [setup["slt"].pk],
        "agencies": [setup["agency"].pk],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def add_action_post(**changes):
    """A complete Add Action POST (an action five minutes ago), for tests to change one field of."""
    now = timezone.localtime() - datetime.timedelta(minutes=5)
    data = {
        "submission": "c" * 32,
        "text": "Phoned mum.",
        "occurred_on_0": now.day,
        "occurred_on_1": now.month,
        "occurred_on_2": now.year,
        "occurred_time": now.strftime("%H:%M"),
    }
    data.update(changes)
    return data
