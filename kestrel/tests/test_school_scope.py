"""The school scope is enforced, not remembered (issue 18, item 3): a query of a school's rows
outside a school scope raises, pages and tasks enter the scope themselves, and a trust-wide
scope of several schools reads those schools and no other."""

import pytest
from django.apps import apps
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.test import override_settings

from kestrel.accounts.models import User
from kestrel.accounts.tasks import send_password_reset
from kestrel.alerts.models import Alert
from kestrel.alerts.sweep import sweep_alerts
from kestrel.alerts.tasks import send_alert_email, send_alert_emails
from kestrel.audit.heads import publish_heads
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Action, Draft, Incident
from kestrel.incidents.tasks import remove_draft
from kestrel.ops.worker import recover_tasks
from kestrel.schools.scope import SchoolScopedManager, ScopeError, scope
from kestrel.students.models import Student
from kestrel.testing.factories import IncidentFactory, SchoolFactory


def school_owned_models():
    """Every model with a `school` field: the rows that belong to a school."""
    return sorted(
        (
            model
            for model in apps.get_models()
            if any(field.name == "school" for field in model._meta.get_fields())
        ),
        key=lambda model: model._meta.label,
    )


def outside_any_scope():
    """Scoping on, no school: where a worker's task or an anonymous request starts."""
    return scope()


def test_the_school_owned_models_are_the_ones_expected():
    # A new kind of record with a school field is caught by the tests below as it is added.
    assert {model._meta.label for model in school_owned_models()} >= {
        "accounts.User",
        "alerts.Alert",
        "alerts.AlertGroup",
        "audit.AuditEvent",
        "files.Attachment",
        "incidents.Action",
        "incidents.Category",
        "incidents.Draft",
        "incidents.Incident",
        "library.Document",
        "library.LibraryCategory",
        "schools.AccessLevel",
        "schools.Agency",
        "students.Student",
    }


@pytest.mark.parametrize("model", school_owned_models(), ids=lambda model: model._meta.label)
def test_every_school_owned_model_is_scoped_by_its_default_manager(model):
    assert isinstance(model._default_manager, SchoolScopedManager)
    assert model._default_manager.name == "objects"


@pytest.mark.django_db
@pytest.mark.parametrize("model", school_owned_models(), ids=lambda model: model._meta.label)
@pytest.mark.parametrize(
    "query",
    [
        lambda model: list(model.objects.all()),
        lambda model: model.objects.count(),
        lambda model: model.objects.exists(),
        lambda model: model.objects.filter(pk=1).first(),
        lambda model: model.objects.in_bulk([1]),
        lambda model: model.objects.filter(pk=1).update(school_id=1),
        lambda model: model.objects.filter(pk=1).delete(),
        lambda model: list(model.objects.values_list("pk", flat=True)),
    ],
    ids=["all", "count", "exists", "first", "in_bulk", "update", "delete", "values_list"],
)
def test_a_query_with_no_school_scope_raises(model, query):
    with outside_any_scope(), pytest.raises(ScopeError):
        query(model)


@pytest.mark.django_db
def test_a_subquery_made_outside_a_scope_raises_even_when_run_inside_one():
    school = SchoolFactory()
    with outside_any_scope():
        forgotten = Action.objects.filter(incident=OuterRef("pk"))
    with scope(school=school.pk), pytest.raises(ScopeError):
        Incident.objects.filter(Exists(forgotten)).exists()


@pytest.mark.django_db
def test_none_needs_no_scope():
    with outside_any_scope():
        assert list(Incident.objects.none()) == []


@pytest.mark.django_db
def test_a_scope_reads_its_own_school_only():
    mine, theirs = IncidentFactory(), IncidentFactory()
    with scope(school=mine.school_id):
        assert list(Incident.objects.all()) == [mine]
        assert not Incident.objects.filter(pk=theirs.pk).exists()
        assert list(mine.student.incidents.all()) == [mine]  # related managers too


@pytest.mark.django_db
def test_a_trust_wide_scope_of_two_schools_sees_both_schools_rows_and_no_third():
    first, second, third = IncidentFactory(), IncidentFactory(), IncidentFactory()
    with scope(school=[first.school_id, second.school_id]):
        assert set(Incident.objects.all()) == {first, second}
        assert set(Student.objects.all()) == {first.student, second.student}
        assert set(User.objects.all()) == {first.reporter, second.reporter}
        assert not Incident.objects.filter(pk=third.pk).exists()


@pytest.mark.django_db
def test_an_empty_trust_scope_reads_nothing_rather_than_everything():
    IncidentFactory()
    with scope(school=[]), pytest.raises(ScopeError):
        Incident.objects.count()


@pytest.mark.django_db
def test_signing_in_finds_a_user_before_any_scope_exists(people):
    with outside_any_scope():
        assert User.all_schools.get(pk=people.teacher.pk) == people.teacher
        assert AuditEvent.all_schools.count() >= 0


# Pages ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_page_through_the_middleware_reads_the_users_school(people, signed_in):
    mine = IncidentFactory(reporter=people.teacher, student__school=people.teacher.school)
    IncidentFactory()  # another school's
    page = signed_in(people.teacher).get("/dashboard/")
    assert [item for _, _, item in page.context["history"]] == [mine]


@pytest.mark.django_db
def test_a_signed_in_request_without_the_middleware_fails(people, signed_in, settings):
    client = signed_in(people.teacher)
    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("SchoolScopeMiddleware")]
    with override_settings(MIDDLEWARE=middleware), pytest.raises(ScopeError):
        client.get("/dashboard/")


# Tasks ----------------------------------------------------------------------------------------


@task
def forgets_the_scope(incident_id: int) -> str:
    return Incident.objects.get(pk=incident_id).text


@pytest.mark.django_db
def test_a_task_that_forgets_the_scope_fails():
    incident = IncidentFactory()
    with outside_any_scope(), pytest.raises(ScopeError):
        forgets_the_scope.call(incident.pk)


@pytest.mark.django_db
def test_sending_an_alert_email_enters_the_alerts_school_scope(mailoutbox):
    incident = IncidentFactory()
    alert = Alert.objects.create(
        school=incident.school,
        incident=incident,
        sender=incident.reporter,
        recipient=incident.reporter,
    )
    with outside_any_scope():
        assert send_alert_email.call(alert.pk) == "sent"
        assert send_alert_emails.call([alert.pk]) == "1 emails queued"
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_removing_a_draft_enters_the_authors_school_scope():
    incident = IncidentFactory()
    Draft.objects.create(school=incident.school, author=incident.reporter, submission="k1")
    with outside_any_scope():
        assert remove_draft.call(incident.reporter.pk, "k1") == "1 draft removed"
    assert not Draft.objects.exists()


@pytest.mark.django_db
def test_the_password_link_task_and_the_workers_periodic_jobs_run_outside_any_scope(people):
    with outside_any_scope():
        send_password_reset.call(people.teacher.email)
        sweep_alerts()
        recover_tasks()
        publish_heads()
