"""An incident's categories read one way everywhere: each main category in the school's order,
as "Main: Sub" for each subcategory chosen under it, or "Main" alone; never the main category
again beside its own subcategory, never a subcategory without its main one."""

import re

import pytest
from django.core import mail

from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory

ADD = "/incidents/add/"
SHOWN = ["Child Protection: Cause for Concern", "Home Issues"]
TEXT = "Child Protection: Cause for Concern, Home Issues"


def tags(html: str) -> list[str]:
    return re.findall(
        r'<strong class="govuk-tag govuk-tag--purple kestrel-tag">(.*?)</strong>', html
    )


def snapshot(*categories) -> dict:
    return {
        "categories": [
            {"id": n, "name": name, "label": label} for n, (name, label) in enumerate(categories)
        ]
    }


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        # In the school's order (the snapshot's), a subcategory sorted before its main one by name.
        (
            [
                ("Cause for Concern", "Child Protection: Cause for Concern"),
                ("Child Protection", "Child Protection"),
                ("Home Issues", "Home Issues"),
            ],
            SHOWN,
        ),
        (
            [
                ("Home Issues", "Home Issues"),
                ("Child Protection", "Child Protection"),
                ("Early Help", "Child Protection: Early Help"),
                ("CAF", "Child Protection: CAF"),
            ],
            ["Home Issues", "Child Protection: Early Help", "Child Protection: CAF"],
        ),
        ([("Child Protection", "Child Protection")], ["Child Protection"]),
        ([("CAF", "Child Protection: CAF")], ["Child Protection: CAF"]),
        ([], []),
    ],
)
def test_categories_are_labelled_by_main_category_in_the_schools_order(recorded, shown):
    assert Incident.category_labels_in(snapshot(*recorded)) == shown


def test_viewing_incident_the_dashboard_the_chronology_add_action_and_the_email_agree(
    setup, people, signed_in, django_capture_on_commit_callbacks
):
    teacher = signed_in(people.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        teacher.post(ADD, add_incident_post(setup, people, alert_groups=None))
    incident = Incident.objects.get()

    admin = signed_in(people.admin)  # alerted by name
    assert tags(admin.get("/dashboard/").content.decode()) == SHOWN
    assert tags(admin.get(f"/incidents/{incident.pk}/").content.decode()) == SHOWN
    assert f"· {TEXT}</p>" in admin.get(f"/incidents/{incident.pk}/actions/add/").content.decode()

    dsl = unlock_key(signed_in(people.dsl))
    chronology = dsl.get(f"/students/{setup['hannah'].pk}/").content.decode()
    assert f"· {TEXT}" in chronology

    (message,) = mail.outbox
    assert f"({TEXT})" in message.subject
    assert f"Category: {TEXT}" in message.body


def test_the_schools_order_of_main_categories_decides_the_order(setup, people, signed_in, school):
    setup["child_protection"].position, setup["home"].position = 2, 5
    setup["child_protection"].save()
    setup["home"].save()
    first = CategoryFactory(
        school=school, name="Home Visits", access_level=setup["home"].access_level, position=1
    )
    signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup,
            people,
            categories=[setup["home"].pk, setup["cause"].pk, first.pk],
            alert_groups=None,
        ),
    )
    html = signed_in(people.admin).get("/dashboard/").content.decode()
    assert tags(html) == ["Home Visits", *SHOWN]
