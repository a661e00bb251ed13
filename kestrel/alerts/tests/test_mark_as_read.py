"""Viewing from an alert, next alert, and mark as read, as the guide describes them."""

from kestrel.alerts.models import Alert
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    ActionFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
)


def incident_at_dsl_level(school, people):
    return IncidentFactory(
        student=StudentFactory(school=school),
        reporter=people.dsl,
        categories=[CategoryFactory(school=school, access_level=people.dsl.access_level)],
    )


def test_a_teacher_is_warned_then_marks_as_read_and_cannot_open_the_incident_again(
    people, school, signed_in
):
    incident = incident_at_dsl_level(school, people)
    alert = AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    client = signed_in(people.teacher)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Chloe Kelan alerted you to this incident." in page
    assert "You do not have key access. Once you mark this as read" in page

    response = client.post(f"/alerts/{alert.pk}/read/")
    assert response["Location"] == "/dashboard/"
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert "You have no unread alerts." in client.get("/dashboard/").content.decode()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="alert.read", actor=people.teacher).count() == 1


def test_the_dsl_still_sees_the_incident_and_the_teachers_read_receipt(people, school, signed_in):
    incident = incident_at_dsl_level(school, people)
    alert = AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    signed_in(people.teacher).post(f"/alerts/{alert.pk}/read/")
    dsl = unlock_key(signed_in(people.dsl))
    page = dsl.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Alerts and read receipts" in page
    assert "James Carter" in page and "Not read yet" not in page


def test_next_alert_goes_to_the_users_next_unread_alert(people, school, signed_in):
    first = incident_at_dsl_level(school, people)
    second = incident_at_dsl_level(school, people)
    alert = AlertFactory(incident=first, recipient=people.teacher, sender=people.dsl)
    AlertFactory(incident=second, recipient=people.teacher, sender=people.dsl)
    client = signed_in(people.teacher)
    page = client.get(f"/incidents/{first.pk}/").content.decode()
    assert f'href="/alerts/next/?after={alert.pk}">next alert</a>' in page
    assert client.get(f"/alerts/next/?after={alert.pk}")["Location"] == f"/incidents/{second.pk}/"


def test_next_alert_skips_other_alerts_about_the_same_incident(people, school, signed_in):
    incident = incident_at_dsl_level(school, people)
    alert = AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    action = ActionFactory(incident=incident, author=people.dsl)
    AlertFactory(incident=incident, action=action, recipient=people.teacher, sender=people.dsl)
    response = signed_in(people.teacher).get(f"/alerts/next/?after={alert.pk}", follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "You have no other unread alerts." in response.content.decode()


def test_next_alert_never_leads_to_someone_elses_alert(people, school, signed_in):
    mine = AlertFactory(incident=incident_at_dsl_level(school, people), recipient=people.teacher)
    AlertFactory(incident=incident_at_dsl_level(school, people), recipient=people.dsl)
    response = signed_in(people.teacher).get(f"/alerts/next/?after={mine.pk}")
    assert response["Location"] == "/dashboard/"


def test_nobody_can_mark_someone_elses_alert_as_read(people, school, signed_in):
    alert = AlertFactory(incident=incident_at_dsl_level(school, people), recipient=people.dsl)
    response = signed_in(people.teacher).post(f"/alerts/{alert.pk}/read/")
    assert response.status_code == 404
    assert Alert.objects.get(pk=alert.pk).read_at is None


def test_next_alert_after_an_id_in_other_digits_goes_to_the_newest_unread_alert(
    people, school, signed_in
):
    incident = incident_at_dsl_level(school, people)
    AlertFactory(incident=incident, recipient=people.teacher, sender=people.dsl)
    client = signed_in(people.teacher)
    for after in ("²", "１"):  # str.isdigit() passes both; int() refuses "²"
        assert client.get("/alerts/next/", {"after": after})["Location"] == (
            f"/incidents/{incident.pk}/"
        )
