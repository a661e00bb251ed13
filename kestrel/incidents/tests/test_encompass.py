"""Operation Encompass: a police notification of domestic abuse, recorded with its incident,
acknowledged by the DSL team, and flagged on their Dashboard when it was not acknowledged
before the start of the next school day after it came."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import EncompassNotification, Incident
from kestrel.incidents.services import acknowledge_encompass, add_incident, encompass_due
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import unlock_key

LONDON = ZoneInfo("Europe/London")
# Friday 5 June 2026, 16:00: the next school day starts on Monday 8 June.
FRIDAY_AFTERNOON = datetime.datetime(2026, 6, 5, 16, 0, tzinfo=LONDON)
MONDAY_START = datetime.datetime(2026, 6, 8, 0, 0, tzinfo=LONDON)


def html(response) -> str:
    return response.content.decode()


def details(received=FRIDAY_AFTERNOON, **changes) -> dict:
    return {
        "police_reference": "KE/12345/26",
        "abuse_occurred_at": received - datetime.timedelta(hours=18),
        "received_at": received,
        "child_present": "yes",
        "support_offered": "Check-in with Mrs Abbott at 8:45.",
    } | changes


def record(setup, people, **encompass) -> Incident:
    return add_incident(
        actor=people.dsl,
        student=setup["hannah"],
        text="Operation Encompass notification received by phone.",
        categories=[setup["child_protection"]],
        occurred_at=FRIDAY_AFTERNOON,
        encompass=details(**encompass),
    )


@pytest.fixture
def friday(setup):
    with time_machine.travel(FRIDAY_AFTERNOON + datetime.timedelta(minutes=30), tick=False):
        yield


def test_the_notification_is_recorded_with_its_incident_and_due_next_school_day(
    setup, people, friday
):
    incident = record(setup, people)
    notification = incident.encompass
    assert notification.police_reference == "KE/12345/26"
    assert notification.child_present == "yes"
    assert notification.due_at == MONDAY_START
    assert notification.acknowledged_at is None
    event = AuditEvent.objects.get(action="incident.added")
    assert event.detail["encompass"] is True
    assert "KE/12345/26" not in str(event.detail)


def test_the_next_school_day_skips_a_bank_holiday_monday(school):
    friday_before_spring_bank_holiday = datetime.datetime(2026, 5, 22, 18, 0, tzinfo=LONDON)
    assert encompass_due(friday_before_spring_bank_holiday, school) == datetime.datetime(
        2026, 5, 26, 0, 0, tzinfo=LONDON
    )
    before_school = datetime.datetime(2026, 6, 9, 7, 30, tzinfo=LONDON)  # a Tuesday morning
    assert encompass_due(before_school, school) == datetime.datetime(
        2026, 6, 10, 0, 0, tzinfo=LONDON
    )


def test_a_notification_received_after_the_abuse_is_required_to_be_in_order(setup, people, friday):
    with pytest.raises(ValidationError) as refusal:
        record(setup, people, abuse_occurred_at=FRIDAY_AFTERNOON + datetime.timedelta(minutes=5))
    assert "encompass_abuse_time" in refusal.value.message_dict
    with pytest.raises(ValidationError):
        record(setup, people, police_reference="  ")
    assert EncompassNotification.objects.count() == 0


def encompass_post(setup, people, **changes):
    fields = dict(
        encompass="on",
        encompass_reference="KE/12345/26",
        encompass_abuse_on_0=4,
        encompass_abuse_on_1=6,
        encompass_abuse_on_2=2026,
        encompass_abuse_time="22:30",
        encompass_received_on_0=5,
        encompass_received_on_1=6,
        encompass_received_on_2=2026,
        encompass_received_time="07:45",
        encompass_child_present="no",
        encompass_support="Breakfast club and a check-in with her key adult.",
        occurred_on_0=5,
        occurred_on_1=6,
        occurred_on_2=2026,
        occurred_time="07:50",
    )
    return add_incident_post(setup, people, **(fields | changes))


def test_add_incident_records_a_notification_from_its_form(setup, people, signed_in, friday):
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", encompass_post(setup, people))
    assert response.status_code == 302, html(response)
    notification = EncompassNotification.objects.get()
    assert notification.abuse_occurred_at == datetime.datetime(2026, 6, 4, 22, 30, tzinfo=LONDON)
    assert notification.received_at == datetime.datetime(2026, 6, 5, 7, 45, tzinfo=LONDON)
    assert notification.child_present == "no"
    assert notification.due_at == MONDAY_START


def test_a_notification_missing_its_details_is_refused_with_everything_typed_kept(
    setup, people, signed_in, friday
):
    response = signed_in(people.teacher).post(
        "/incidents/add/",
        encompass_post(setup, people, encompass_reference="", encompass_child_present=""),
    )
    page = html(response)
    assert "Enter the police reference." in page
    assert "Say whether the child was present." in page
    assert "Breakfast club and a check-in with her key adult." in page
    assert "Hannah said her dad waited at the gate again." in page
    assert 'id="id_encompass" name="encompass" type="checkbox" value="on" checked' in page
    assert Incident.objects.count() == 0


def test_an_unticked_notification_asks_for_nothing(setup, people, signed_in):
    response = signed_in(people.teacher).post("/incidents/add/", add_incident_post(setup, people))
    assert response.status_code == 302
    assert EncompassNotification.objects.count() == 0


def test_the_draft_keeps_the_notification(setup, people, signed_in, friday):
    client = signed_in(people.teacher)
    client.post(
        "/incidents/drafts/save/", {**encompass_post(setup, people), "submission": "e" * 32}
    )
    page = html(client.get(f"/incidents/add/?draft={'e' * 32}"))
    assert 'value="KE/12345/26"' in page
    assert 'name="encompass_abuse_on_0" value="4"' in page
    assert "Breakfast club and a check-in with her key adult." in page


def test_the_dsl_acknowledges_it_on_viewing_incident_and_it_is_audited(
    setup, people, signed_in, friday
):
    incident = record(setup, people)
    client = unlock_key(signed_in(people.dsl))
    page = html(client.get(f"/incidents/{incident.pk}/"))
    assert "Operation Encompass notification" in page
    assert "KE/12345/26" in page
    assert "Not acknowledged yet" in page
    assert "Acknowledge notification" in page
    response = client.post(f"/incidents/{incident.pk}/encompass/acknowledge/")
    assert response.status_code == 302
    notification = EncompassNotification.objects.get()
    assert notification.acknowledged_by == people.dsl
    event = AuditEvent.objects.get(action="encompass.acknowledged")
    assert event.detail == {"notification": notification.pk, "late": False}
    page = html(client.get(f"/incidents/{incident.pk}/"))
    assert "Acknowledged</strong> by Chloe Kelan" in page
    assert "Acknowledge notification" not in page
    # Again: nothing changes, nothing more is recorded.
    client.post(f"/incidents/{incident.pk}/encompass/acknowledge/")
    assert AuditEvent.objects.filter(action="encompass.acknowledged").count() == 1


def test_only_the_dsl_team_with_the_key_unlocked_may_acknowledge(setup, people, friday):
    incident = record(setup, people)
    with pytest.raises(PermissionDenied):
        acknowledge_encompass(actor=people.teacher, incident=incident)
    assert EncompassNotification.objects.get().acknowledged_at is None


def test_a_locked_key_holder_is_offered_to_unlock_rather_than_the_button(
    setup, people, signed_in, friday
):
    incident = record(setup, people)
    page = html(signed_in(people.dsl).get(f"/incidents/{incident.pk}/"))  # the reporter
    assert "Acknowledge notification" not in page
    assert "to acknowledge it for the DSL team" in page


def test_it_is_flagged_on_the_dashboard_after_the_next_school_day_starts_and_not_before(
    setup, people, signed_in, friday
):
    incident = record(setup, people)
    with time_machine.travel(MONDAY_START - datetime.timedelta(minutes=1), tick=False):
        assert "Operation Encompass" not in html(signed_in(people.dsl).get("/dashboard/"))
    with time_machine.travel(MONDAY_START + datetime.timedelta(minutes=1), tick=False):
        page = html(signed_in(people.dsl).get("/dashboard/"))
        assert "Operation Encompass notifications not acknowledged" in page
        assert f'href="/incidents/{incident.pk}/">Notification for Hannah Greenwood (1B)' in page
        assert "received Fri 05/06/2026 at 16:00" in page
        viewed = AuditEvent.objects.filter(action="dashboard.viewed").order_by("pk").last()
        assert viewed.detail["encompass"] == [incident.pk]
        # Teachers are not shown the DSL team's list.
        teacher = signed_in(people.teacher)
        assert "Operation Encompass" not in html(teacher.get("/dashboard/"))
        # Acknowledged (late): the flag goes.
        client = unlock_key(signed_in(people.dsl))
        client.post(f"/incidents/{incident.pk}/encompass/acknowledge/")
        assert "notifications not acknowledged" not in html(client.get("/dashboard/"))
        event = AuditEvent.objects.get(action="encompass.acknowledged")
        assert event.detail["late"] is True
        page = html(client.get(f"/incidents/{incident.pk}/"))
        assert "(after the start of the next school day)" in page


def test_viewing_incident_warns_when_it_is_late(setup, people, signed_in, friday):
    incident = record(setup, people)
    with time_machine.travel(MONDAY_START + datetime.timedelta(hours=9), tick=False):
        page = html(unlock_key(signed_in(people.dsl)).get(f"/incidents/{incident.pk}/"))
    assert "Not acknowledged by the DSL team before the start of the next school day" in page
