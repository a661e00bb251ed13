"""The training services check who acts, and refuse the same course on the same day twice even
when two people record it at the same moment."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from kestrel.audit.models import AuditEvent
from kestrel.testing.factories import RequirementFactory
from kestrel.training import services
from kestrel.training.models import TrainingRecord

DAY = datetime.date(2026, 9, 3)


@pytest.fixture
def update(school):
    return RequirementFactory(school=school, name="Safeguarding update")


def record(actor, staff, requirement):
    return services.record_training(
        actor=actor, staff=staff, requirement=requirement, course="", completed_on=DAY
    )


def test_only_the_administrator_and_the_dsl_team_of_the_school_record_training(people, update):
    with pytest.raises(PermissionDenied):
        record(people.teacher, people.teacher, update)
    with pytest.raises(PermissionDenied):
        record(people.other_admin, people.teacher, update)
    record(people.dsl, people.teacher, update)
    assert TrainingRecord.objects.get().recorded_by == people.dsl


def test_two_recording_the_same_training_at_once_make_one_record(people, update, monkeypatch):
    record(people.admin, people.teacher, update)
    # The second did not see the first (both checked before either saved).
    monkeypatch.setattr(services, "existing_records", lambda *args: set())
    with pytest.raises(services.AlreadyRecorded):
        record(people.dsl, people.teacher, update)
    assert TrainingRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="training.recorded").count() == 1


def test_a_removed_record_can_be_recorded_again(people, update):
    first = record(people.admin, people.teacher, update)
    services.remove_record(actor=people.admin, training=first, reason="Wrong date")
    record(people.admin, people.teacher, update)
    assert TrainingRecord.objects.filter(removed_at__isnull=True).count() == 1
    assert TrainingRecord.objects.count() == 2
