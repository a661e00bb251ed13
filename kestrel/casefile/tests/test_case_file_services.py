"""Keeping a child's case file through its services: what is refused with which message, what
is kept, what the chronology and the audit trail get, and who may do it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.audit.models import AuditEvent
from kestrel.casefile import selectors, services
from kestrel.casefile.models import Case, CaseEvent, Decision, Status
from kestrel.testing.factories import CategoryFactory, IncidentFactory, StudentFactory

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def dsl(people):
    return people.dsl


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def refused(call, **arguments) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**arguments)
    return caught.value.message_dict


def test_no_further_action_without_a_reason_is_refused_and_nothing_is_written(dsl, hannah):
    problems = refused(
        services.record_decision,
        actor=dsl,
        student=hannah,
        kind="nfa",
        reason="   ",
        decided_on=days_ago(0),
    )
    assert problems["reason"] == [
        "Say why no further action is needed: “No further action” is a decision and needs "
        "its reason."
    ]
    assert not Decision.objects.exists()
    assert not CaseEvent.objects.exists()


def test_no_further_action_with_its_reason_is_on_the_chronology(dsl, hannah):
    services.record_decision(
        actor=dsl,
        student=hannah,
        kind="nfa",
        reason="Explained by a fall at football, seen by the coach.",
        decided_on=days_ago(1),
    )
    (event,) = CaseEvent.objects.all()
    assert event.summary == "Decision: No further action"
    assert "fall at football" in event.detail
    assert event.happened_on == days_ago(1)
    assert event.author_name == "Chloe Kelan"
    assert event.author_role == "Designated Safeguarding Lead"


def test_a_child_protection_plan_needs_its_category(dsl, hannah):
    problems = refused(
        services.start_status,
        actor=dsl,
        student=hannah,
        kind="child_protection_plan",
        started_on=days_ago(3),
    )
    assert problems["plan_category"] == ["Choose the category of the plan."]


def test_a_statuss_start_and_end_dates_survive_and_both_are_on_the_chronology(dsl, hannah):
    status = services.start_status(
        actor=dsl,
        student=hannah,
        kind="child_protection_plan",
        plan_category="neglect",
        started_on=days_ago(30),
    )
    services.end_status(actor=dsl, status=status, ended_on=days_ago(2), note="Plan ended at RCPC.")
    status = Status.objects.get()
    assert (status.started_on, status.ended_on) == (days_ago(30), days_ago(2))
    assert status.end_note == "Plan ended at RCPC."
    summaries = list(CaseEvent.objects.order_by("happened_at").values_list("summary", flat=True))
    assert summaries == [
        "Case opened",
        "Child Protection Plan started (Neglect)",
        "Child Protection Plan ended",
    ]
    # Ending again is refused: the end date stays as first recorded.
    problems = refused(services.end_status, actor=dsl, status=status, ended_on=days_ago(1))
    assert problems["ended_on"] == ["Child Protection Plan has already ended."]
    assert Status.objects.get().ended_on == days_ago(2)


def test_a_status_cannot_end_before_it_started_or_in_the_future(dsl, hannah):
    status = services.start_status(
        actor=dsl, student=hannah, kind="child_in_need", started_on=days_ago(5)
    )
    early = refused(services.end_status, actor=dsl, status=status, ended_on=days_ago(6))
    assert "before the start date" in early["ended_on"][0]
    future = refused(services.end_status, actor=dsl, status=status, ended_on=days_ago(-1))
    assert future["ended_on"] == ["The end date cannot be in the future."]


def test_the_same_status_cannot_be_open_twice(dsl, hannah):
    services.start_status(actor=dsl, student=hannah, kind="young_carer", started_on=days_ago(5))
    problems = refused(
        services.start_status,
        actor=dsl,
        student=hannah,
        kind="young_carer",
        started_on=days_ago(1),
    )
    assert "already open" in problems["kind"][0]


def test_looked_after_without_a_virtual_school_head_is_warned_about(dsl, hannah, people):
    services.start_status(actor=dsl, student=hannah, kind="looked_after", started_on=days_ago(5))
    file = selectors.case_file(Viewer(user=dsl, key_unlocked=True), hannah)
    assert len(file.warnings) == 1
    assert "No virtual school head is recorded for Looked After" in file.warnings[0]


def test_risk_needs_a_reason_and_keeps_its_history(dsl, hannah):
    problems = refused(
        services.set_risk, actor=dsl, student=hannah, level="High", reason="", set_on=days_ago(0)
    )
    assert problems["reason"] == ["Say why the risk level is set to this."]
    assert refused(
        services.set_risk,
        actor=dsl,
        student=hannah,
        level="Severe",
        reason="x",
        set_on=days_ago(0),
    )["level"] == ["Choose a risk level."]
    services.set_risk(actor=dsl, student=hannah, level="Medium", reason="A", set_on=days_ago(9))
    services.set_risk(actor=dsl, student=hannah, level="High", reason="B", set_on=days_ago(1))
    file = selectors.case_file(Viewer(user=dsl, key_unlocked=True), hannah)
    assert file.risk.level == "High"
    assert [risk.level for risk in file.risk_history] == ["High", "Medium"]


def test_a_referral_is_awaiting_feedback_only_after_its_due_date_until_its_outcome(dsl, hannah):
    viewer = Viewer(user=dsl, key_unlocked=True)
    referral = services.make_referral(
        actor=dsl,
        student=hannah,
        target="social_care",
        to_label="Children’s social care",
        made_on=days_ago(5),
        made_by=dsl,
        reason="Disclosure of neglect.",
        feedback_due_on=days_ago(0),
        reference="MASH-1234",
    )
    assert list(selectors.awaiting_feedback(viewer)) == []  # due today: not yet overdue
    referral.feedback_due_on = days_ago(1)
    referral.save(update_fields=["feedback_due_on"])
    assert list(selectors.awaiting_feedback(viewer)) == [referral]
    services.record_referral_outcome(
        actor=dsl, referral=referral, outcome="Strategy discussion held.", outcome_on=days_ago(0)
    )
    assert list(selectors.awaiting_feedback(viewer)) == []


def test_a_case_closes_only_with_an_outcome_and_no_status_open(dsl, hannah):
    status = services.start_status(
        actor=dsl, student=hannah, kind="early_help", started_on=days_ago(40)
    )
    case = Case.objects.get()
    problems = refused(
        services.close_case,
        actor=dsl,
        case=case,
        closed_on=days_ago(0),
        outcome="",
        outcome_text="",
    )
    assert problems["outcome_text"] == ["Describe the outcome and why the case can close."]
    assert "End the statuses still open" in problems["outcome"][0]
    services.end_status(actor=dsl, status=status, ended_on=days_ago(1))
    services.close_case(
        actor=dsl,
        case=case,
        closed_on=days_ago(0),
        outcome="stepped_down",
        outcome_text="Family engaging; stepped down to universal services.",
    )
    case.refresh_from_db()
    assert case.closed_on == days_ago(0)
    assert CaseEvent.objects.filter(kind="case.closed").get().summary == (
        "Case closed: Stepped down to universal services"
    )


def test_each_change_is_audited_with_metadata_and_never_the_text(dsl, hannah):
    services.record_decision(
        actor=dsl, student=hannah, kind="monitor", reason="SECRET-REASON", decided_on=days_ago(0)
    )
    event = AuditEvent.objects.get(action="case.decision")
    assert event.student_id == hannah.pk
    assert event.actor_id == dsl.pk
    assert event.detail == {"decision": "monitor"}
    assert "SECRET" not in str(event.detail) + event.object_label


def test_a_teacher_may_not_keep_a_case_file(people, hannah):
    with pytest.raises(PermissionDenied):
        services.set_risk(
            actor=people.teacher, student=hannah, level="High", reason="x", set_on=days_ago(0)
        )


def test_a_record_on_an_incident_needs_the_incidents_rank_to_be_seen(
    school, levels, people, hannah
):
    from kestrel.testing.factories import UserFactory

    secret = CategoryFactory(school=school, name="Child Protection", access_level=levels.dsl)
    incident = IncidentFactory(school=school, student=hannah, categories=[secret])
    assert incident.required_rank == levels.dsl.rank
    services.record_decision(
        actor=people.dsl,
        student=hannah,
        kind="refer",
        reason="Threshold met.",
        decided_on=days_ago(0),
        incident=incident,
    )
    pastoral = UserFactory(school=school, access_level=levels.staff, is_key_holder=True)
    low = Viewer(user=pastoral, key_unlocked=True)
    high = Viewer(user=people.dsl, key_unlocked=True)
    assert selectors.case_events(low, hannah) == []
    assert [event.kind for event in selectors.case_events(high, hannah)] == ["decision"]


def test_a_schools_own_risk_levels_replace_the_defaults_in_their_order(school, dsl, hannah):
    from kestrel.casefile.models import RiskLevel

    assert selectors.risk_levels(school.pk) == ["Low", "Medium", "High"]
    for position, name in enumerate(["Universal", "Targeted", "Specialist", "Acute"]):
        RiskLevel.objects.create(school=school, name=name, position=position)
    RiskLevel.objects.create(school=school, name="Retired", position=9, is_active=False)
    assert selectors.risk_levels(school.pk) == ["Universal", "Targeted", "Specialist", "Acute"]
    risk = services.set_risk(
        actor=dsl, student=hannah, level="Specialist", reason="r", set_on=days_ago(0)
    )
    assert risk.position == 2


def test_a_school_defined_status_keeps_its_name_as_it_was_when_started(school, dsl, hannah):
    from kestrel.casefile.models import StatusKind

    order = StatusKind.objects.create(school=school, name="Subject to a court order")
    status = services.start_status(
        actor=dsl, student=hannah, kind="school", school_kind=order, started_on=days_ago(2)
    )
    order.name = "Court order"
    order.save()
    status.refresh_from_db()
    assert status.label == "Subject to a court order"
    other = StatusKind.objects.create(school=StudentFactory().school, name="Elsewhere")
    problems = refused(
        services.start_status,
        actor=dsl,
        student=hannah,
        kind="school",
        school_kind=other,
        started_on=days_ago(2),
    )
    assert problems["school_kind"] == ["Choose one of your school’s statuses."]


def test_a_correction_changes_the_record_and_keeps_what_it_said_before(dsl, hannah):
    from kestrel.casefile.models import Correction, Referral

    referral = services.make_referral(
        actor=dsl,
        student=hannah,
        target="social_care",
        to_label="Children’s social care",
        made_on=days_ago(4),
        made_by=dsl,
        reason="Disclosure.",
        feedback_due_on=days_ago(1),
        reference="MASH-1",
    )
    services.correct_record(
        actor=dsl,
        target=referral,
        values={
            "reference": "MASH-7",
            "feedback_due_on": days_ago(-4),
            "reason": "Disclosure.",
            "made_by": None,  # not a field a correction may change: ignored
        },
        reason="Social care gave a new reference and asked for more time.",
    )
    referral = Referral.objects.get()
    assert (referral.reference, referral.feedback_due_on) == ("MASH-7", days_ago(-4))
    assert referral.corrected_at is not None
    correction = Correction.objects.get()
    assert correction.changes == {
        "reference": ["MASH-1", "MASH-7"],
        "feedback_due_on": [f"{days_ago(1):%-d %B %Y}", f"{days_ago(-4):%-d %B %Y}"],
    }
    event = CaseEvent.objects.get(kind="correction")
    assert "“MASH-1” is now “MASH-7”" in event.detail
    assert "asked for more time" in event.detail
    audit = AuditEvent.objects.get(action="case.corrected")
    assert audit.detail == {"record": "referral", "fields": ["feedback_due_on", "reference"]}
    # No longer overdue: the corrected due date is what "Awaiting feedback" reads.
    assert list(selectors.awaiting_feedback(Viewer(user=dsl, key_unlocked=True))) == []


def test_a_correction_needs_a_reason_and_a_change_and_keeps_the_records_rules(dsl, hannah):
    status = services.start_status(
        actor=dsl,
        student=hannah,
        kind="child_protection_plan",
        plan_category="neglect",
        started_on=days_ago(10),
    )
    no_reason = refused(
        services.correct_record, actor=dsl, target=status, values={"legal_status": "x"}, reason=""
    )
    assert no_reason["correction_reason"] == ["Say why the record needs correcting."]
    unchanged = refused(
        services.correct_record,
        actor=dsl,
        target=status,
        values={"started_on": days_ago(10)},
        reason="Checking",
    )
    assert unchanged["correction_reason"] == ["Change at least one field: nothing was corrected."]
    no_category = refused(
        services.correct_record,
        actor=dsl,
        target=status,
        values={"plan_category": ""},
        reason="Wrong category",
    )
    assert no_category["plan_category"] == ["Choose the category of the plan."]
    # An open status has no end to correct: the end date is not a field of its correction.
    services.correct_record(
        actor=dsl,
        target=status,
        values={"ended_on": days_ago(1), "started_on": days_ago(12)},
        reason="The conference was on the 12th",
    )
    status.refresh_from_db()
    assert (status.started_on, status.ended_on) == (days_ago(12), None)
