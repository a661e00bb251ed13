"""`manage.py seed_scale` makes a realistic trust's records that the app can read and add to."""

import datetime
import json
import statistics
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from bench import scale
from bench.scale.audit_trail import add_audit
from bench.scale.sinks import Table
from bench.scale.trust import StaffMember
from kestrel.accounts.models import User
from kestrel.alerts.models import Alert, AlertGroup
from kestrel.alerts.services import mark_as_read
from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import (
    Action,
    BodyMapMarker,
    Category,
    Incident,
    LinkedStudent,
    snapshot_of,
)
from kestrel.incidents.services import add_action, add_incident
from kestrel.schools.models import Agency, School
from kestrel.students.models import Student
from kestrel.students.search import search_text
from kestrel.students.upn import validate_upn

SMALL = {"schools": 2, "staff": 30, "students": 300, "incidents": 3000}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def seeded(db, now):
    """The small trust, seeded; the rows written per table."""
    return scale.seed_scale(**SMALL, now=now, log=lambda line: None)


def test_seed_makes_the_schools_staff_and_students_asked_for(seeded):
    schools = School.objects.filter(name__startswith="Scale Academy")
    assert sorted(schools.values_list("name", flat=True)) == ["Scale Academy 1", "Scale Academy 2"]
    assert seeded["incidents_incident"] == Incident.objects.count() == 3000
    assert Student.objects.count() == 300
    for school in schools:
        staff = User.objects.filter(school=school)
        assert staff.count() == 15
        assert staff.filter(is_school_admin=True, access_level=None).count() == 1
        key_holders = staff.filter(is_key_holder=True)
        assert key_holders.count() == 1  # 5% of 15, at least one
        assert {user.access_level.name for user in key_holders} == {"DSL team"}
        assert set(staff.filter(is_key_holder=False, is_school_admin=False).values_list(
            "access_level__name", flat=True
        )) == {"Staff"}  # fmt: skip
        assert AlertGroup.objects.get(school=school, name="DSL team").members.count() == 1
        # The demo school's categories: 9 main ones and 5 subcategories.
        assert Category.objects.filter(school=school).count() == 14
        assert Agency.objects.filter(school=school).count() == 10
        upns = list(Student.objects.filter(school=school).values_list("upn", flat=True))
        assert len(set(upns)) == len(upns) == 150
        for upn in upns:
            validate_upn(upn)
    # One password hash for everyone, and every address its own.
    assert User.objects.values("password").distinct().count() == 1
    assert User.objects.values("email").distinct().count() == 30


def test_every_students_search_text_is_the_one_the_app_keeps(seeded):
    students = list(Student.objects.all())
    assert len(students) == SMALL["students"]
    assert all(student.search_text == search_text(student) for student in students)


def test_most_students_have_no_incident_and_a_few_have_many(seeded):
    per_student = Counter(Incident.objects.values_list("student_id", flat=True))
    without = 1 - len(per_student) / Student.objects.count()
    assert 0.65 <= without <= 0.75
    counts = sorted(per_student.values(), reverse=True)
    assert counts[0] >= 5 * statistics.median(counts)  # a long tail


def test_one_student_per_school_has_a_chronology_of_at_least_500(db, now):
    scale.seed_scale(
        schools=1, staff=10, students=100, incidents=2000, now=now, log=lambda line: None
    )

    top = Incident.objects.values("student").annotate(n=Count("id")).order_by("-n").first()
    assert top["n"] >= 500
    assert Student.objects.get(pk=top["student"]).on_roll


def test_incidents_have_one_or_two_categories_and_the_highest_rank_among_them(seeded):
    incidents = Incident.objects.annotate(
        n=Count("categories"), top=Max("categories__access_level__rank")
    )
    assert set(incidents.values_list("n", flat=True)) == {1, 2}
    assert not incidents.exclude(required_rank=F("top")).exists()
    for incident in Incident.objects.prefetch_related("categories__parent", "agencies")[:300]:
        expected = snapshot_of(
            categories=incident.categories.all(),
            agencies=incident.agencies.all(),
            markers=list(incident.markers.values("number", "side", "x", "y")),
        )
        assert incident.snapshot == expected
        assert 50 <= len(incident.text) <= 600
        assert incident.submission_key is None


def test_some_incidents_link_students_name_agencies_and_mark_the_body_map(seeded):
    total = Incident.objects.count()
    linked = Incident.objects.filter(links__isnull=False).distinct().count()
    assert 0.07 <= linked / total <= 0.13
    assert not LinkedStudent.objects.filter(student=F("incident__student")).exists()
    marked = BodyMapMarker.objects.values("incident").distinct().count()
    assert 0.01 <= marked / total <= 0.06
    assert Incident.objects.filter(agencies__isnull=False).exists()


def test_every_row_belongs_to_the_school_of_its_incident(seeded):
    def all_match(rows, **same) -> bool:
        return rows.filter(**same).count() == rows.count()

    incidents = Incident.objects.all()
    assert all_match(incidents, student__school=F("school"), reporter__school=F("school"))
    assert all_match(
        Alert.objects.all(),
        incident__school=F("school"),
        recipient__school=F("school"),
        sender__school=F("school"),
    )
    assert all_match(Action.objects.all(), incident__school=F("school"), author__school=F("school"))
    assert all_match(LinkedStudent.objects.all(), student__school=F("incident__school"))
    assert all_match(
        Incident.categories.through.objects.all(), category__school=F("incident__school")
    )
    assert all_match(Incident.agencies.through.objects.all(), agency__school=F("incident__school"))
    assert all_match(Action.agencies.through.objects.all(), agency__school=F("action__school"))
    assert all_match(
        AuditEvent.objects.filter(actor__isnull=False),
        actor__school=F("school"),
        student__school=F("school"),
    )
    assert not User.objects.filter(is_school_admin=True, incidents_reported__isnull=False).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA foreign_key_check").fetchall() == []


def test_times_fall_in_the_last_ten_years_and_never_in_the_future(seeded, now):
    incidents = Incident.objects.all()
    earliest = now - datetime.timedelta(days=3660)
    assert not incidents.filter(occurred_at__lt=earliest).exists()
    assert not incidents.filter(recorded_at__gt=now).exists()
    assert not incidents.filter(occurred_at__gt=F("recorded_at")).exists()
    late = incidents.filter(recorded_at__gt=F("occurred_at") + datetime.timedelta(days=1))
    assert not late.exists()
    week = incidents.filter(occurred_at__gte=now - datetime.timedelta(days=7)).count()
    assert 0.02 <= week / incidents.count() <= 0.05
    actions = Action.objects.all()
    assert not actions.filter(occurred_at__lt=F("incident__occurred_at")).exists()
    assert not actions.filter(recorded_at__gt=now).exists()
    assert not actions.filter(occurred_at__gt=F("recorded_at")).exists()


def test_about_three_actions_and_four_alerts_per_incident_to_distinct_colleagues(seeded, now):
    incidents = Incident.objects.count()
    assert 2.8 <= Action.objects.count() / incidents <= 3.2
    assert Incident.objects.filter(actions__isnull=True).exists()
    assert 3.7 <= Alert.objects.count() / incidents <= 4.3
    per_pair = Alert.objects.values("incident", "recipient").annotate(n=Count("id"))
    assert not per_pair.filter(n__gt=1).exists()
    alerts = Alert.objects.all()
    assert not alerts.filter(recipient=F("incident__reporter")).exists()
    assert not alerts.exclude(sender=F("incident__reporter")).exists()
    assert not alerts.exclude(created_at=F("incident__recorded_at")).exists()
    assert not alerts.exclude(email_status="sent").exists()
    assert not alerts.filter(email_sent_at__lt=F("created_at")).exists()
    old = alerts.filter(created_at__lt=now - datetime.timedelta(days=14))
    assert not old.filter(read_at__isnull=True).exists()
    recent = alerts.filter(created_at__gte=now - datetime.timedelta(days=14))
    assert recent.filter(read_at__isnull=True).count() > recent.count() / 2
    assert not alerts.filter(read_at__gt=now).exists()


def test_audit_trail_has_what_the_app_writes_and_verifies(seeded):
    assert list(chain.verify()) == []
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["incident.added"] == Incident.objects.count()
    assert actions["alert.sent"] == Alert.objects.count()
    assert actions["action.added"] == Action.objects.count()
    assert actions["alert.read"] == Alert.objects.filter(read_at__isnull=False).count()
    assert actions["scale.seeded"] == 2
    added = AuditEvent.objects.filter(action="incident.added").order_by("seq").first()
    incident = Incident.objects.get(pk=added.object_id)
    assert added.object_label == str(incident)
    assert added.student_id == incident.student_id
    assert added.actor_id == incident.reporter_id
    assert added.at == incident.recorded_at
    assert added.detail == {"alerted": incident.alerts.count(), "linked": incident.links.count()}
    # Each school's chain is in time order, as the app writes it.
    for school in School.objects.all():
        times = list(AuditEvent.objects.filter(school=school).order_by("seq").values_list("at"))
        assert times == sorted(times)


def test_a_seeded_audit_row_is_hashed_by_the_chains_own_rule_whatever_the_names():
    audit = Table(AuditEvent, AuditEvent._meta.db_table, scale.COLUMNS[AuditEvent])
    actor = StaffMember(name='Siân "Zoë" Ó Briain\\', ip="10.1.0.2", title_name="Ms Ó Briain")
    seeder = SimpleNamespace(people={12: actor}, audit=audit, suffix="")
    school = SimpleNamespace(id=7, chain=7, seq=2, prev_hash="f" * 64)
    detail = {"recipient_name": "Łukasz D'Souza", "action": None, "recipient": 4}

    add_audit(
        seeder, school, 12, "alert.sent", "incidents.incident", 99, "Incident 99", 5, detail,
        "ab" * 32, "2024-03-01 09:30:00.000005",
    )  # fmt: skip

    # The row as the database gives it back: JSON parsed, the time in UTC.
    row = dict(zip(audit.columns, audit.rows[0], strict=True))
    at = datetime.datetime(2024, 3, 1, 9, 30, 0, 5, tzinfo=datetime.UTC)
    event = AuditEvent(**{**row, "detail": json.loads(row["detail"]), "at": at})
    assert (event.chain, event.seq, event.prev_hash) == (7, 3, "f" * 64)
    assert event.actor_label == actor.name and event.detail == detail
    assert event.row_hash == chain.row_hash(event, "f" * 64) == school.prev_hash


def test_the_same_seed_makes_the_same_records_at_another_time(db, now):
    def records(at):
        with transaction.atomic():
            counts = scale.seed_scale(**SMALL, now=at, log=lambda line: None)
            incidents = Counter(
                Incident.objects.values_list("student__upn", "text", "required_rank")
            )
            actions = Counter(Action.objects.values_list("incident__student__upn", "text"))
            transaction.set_rollback(True)
        del counts["audit_auditevent"]  # alerts read or not yet depend on the time
        return counts, incidents, actions

    assert records(now - datetime.timedelta(hours=1)) == records(now)


def test_seed_refuses_a_trust_school_that_exists_and_leaves_it_alone(db):
    School.objects.create(name="Scale Academy 2")

    with pytest.raises(CommandError, match="Scale Academy 2") as refused:
        call_command("seed_scale", "--schools=2", "--students=10", "--incidents=10", "--staff=6")

    assert refused.value.returncode == 2
    assert School.objects.count() == 1
    assert not Incident.objects.exists()


def test_command_seeds_once_and_refuses_the_second_run(db, capsys):
    arguments = ["--schools=1", "--students=20", "--incidents=100", "--staff=5", "--seed=7"]
    call_command("seed_scale", *arguments)
    assert "incidents_incident" in capsys.readouterr().out

    with pytest.raises(CommandError) as refused:
        call_command("seed_scale", *arguments)
    assert refused.value.returncode == 2
    assert Incident.objects.count() == 100


def test_app_adds_incidents_actions_and_reads_after_the_seed(seeded, now):
    school = School.objects.get(name="Scale Academy 1")
    dsl = User.objects.get(school=school, is_key_holder=True)
    teacher = User.objects.filter(school=school, is_key_holder=False, is_school_admin=False)[0]
    student = Student.objects.filter(school=school, on_roll=True)[0]
    category = Category.objects.get(school=school, name="Bullying")
    highest = {
        model: model.objects.aggregate(top=Max("id"))["top"]
        for model in (Incident, Action, Alert, AuditEvent)
    }

    incident = add_incident(
        actor=teacher,
        student=student,
        text="Said at lunch that older pupils take her dinner money every day.",
        categories=[category],
        occurred_at=now - datetime.timedelta(minutes=5),
        alert_recipients=[dsl],
    )
    action = add_action(actor=dsl, incident=incident, text="Spoke to her.", occurred_at=now)
    mark_as_read(actor=dsl, alert=Alert.objects.get(incident=incident, recipient=dsl))

    assert incident.pk > highest[Incident]
    assert action.pk > highest[Action]
    assert Alert.objects.get(incident=incident).pk > highest[Alert]
    assert AuditEvent.objects.aggregate(top=Max("id"))["top"] > highest[AuditEvent]
    assert list(chain.verify()) == []


def test_every_column_without_a_default_is_written():
    for model, columns in scale.COLUMNS.items():
        required = {
            field.column
            for field in model._meta.concrete_fields
            if not field.null and not field.has_db_default()
        }
        assert required <= set(columns), f"{model._meta.db_table} lacks {required - set(columns)}"


def test_the_planner_has_statistics_for_the_seeded_tables(seeded):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
            )
        analysed = {row[0] for row in cursor.fetchall()}
    assert {"alerts_alert", "incidents_incident", "audit_auditevent"} <= analysed
