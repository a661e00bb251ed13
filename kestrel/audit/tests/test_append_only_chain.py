"""The audit trail is append-only in the database itself, and its hash chain shows any tampering."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.audit.sealing import seal_all
from kestrel.audit.services import record
from kestrel.audit.tests.tampering import TABLE, raw, slip_in, tamper
from kestrel.testing.factories import SchoolFactory


@pytest.fixture
def events(db):
    school = SchoolFactory()
    return [record(action=f"test.{n}", school=school, detail={"n": n}) for n in range(5)]


def test_raw_sql_update_of_an_audit_row_is_refused_by_the_database(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"UPDATE {TABLE} SET action = 'nothing.happened' WHERE id = %s", [events[2].pk])
    assert AuditEvent.objects.get(pk=events[2].pk).action == "test.2"


def test_raw_sql_delete_of_an_audit_row_is_refused_by_the_database(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [events[2].pk])
    assert AuditEvent.objects.filter(pk=events[2].pk).exists()


def test_the_orm_cannot_update_or_delete_audit_rows_either(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).delete()
    assert AuditEvent.objects.count() == 5


def test_emptying_the_whole_audit_table_is_refused(events):
    # PostgreSQL's TRUNCATE skips row triggers, so it has its own; SQLite has no TRUNCATE.
    statement = (
        f"TRUNCATE {TABLE} CASCADE"
        if connection.vendor == "postgresql"
        else (f"DELETE FROM {TABLE}")
    )
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # settle the test's own pending foreign-key checks
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(statement)
    assert AuditEvent.objects.count() == 5


def test_each_school_has_its_own_unbroken_chain(db):
    first, second = SchoolFactory(), SchoolFactory()
    for n in range(3):
        record(action="a", school=first, detail={"n": n})
        record(action="b", school=second, detail={"n": n})
    record(action="signin.failed", detail={"unknown_email": True})  # belongs to no school
    assert not AuditEvent.all_schools.filter(seq__isnull=False).exists()  # the sealer's work
    assert seal_all() == "7 audit rows sealed"
    for school in (first, second):
        rows = list(AuditEvent.objects.filter(school=school).order_by("seq"))
        assert [row.seq for row in rows] == [1, 2, 3]
        assert rows[0].prev_hash == chain.GENESIS
        assert rows[1].prev_hash == rows[0].row_hash
    assert list(chain.verify()) == []
    call_command("verify_audit")


def _ten_thousand_events():
    school = SchoolFactory()
    start = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)
    chain.bulk_append(
        AuditEvent(
            school=school,
            action="student.viewed",
            object_type="students.student",
            object_id=str(n % 400),
            detail={"n": n},
            at=start + datetime.timedelta(seconds=n),
        )
        for n in range(10_000)
    )
    return list(
        AuditEvent.objects.filter(school=school).order_by("seq").values_list("pk", flat=True)
    )


def test_verify_audit_names_the_one_altered_row_among_ten_thousand(db, capsys):
    ids = _ten_thousand_events()
    call_command("verify_audit")
    assert "Audit trail intact: 10000 events checked." in capsys.readouterr().out

    altered = ids[6_789]
    tamper(f"UPDATE {TABLE} SET actor_label = 'Someone else' WHERE id = %s", [altered])

    with pytest.raises(CommandError, match="1 broken chain"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"sequence 6790, row id {altered}: row altered" in err


def test_verify_audit_names_where_a_row_was_removed(db, capsys):
    ids = _ten_thousand_events()
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [ids[1234]])
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "sequence 1235: row missing (next row found is 1236)" in capsys.readouterr().err


def test_verify_audit_names_a_row_inserted_into_the_chain(db, capsys):
    ids = _ten_thousand_events()
    slip_in(AuditEvent.objects.get(pk=ids[500]), at=501)
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "sequence 501" in capsys.readouterr().err


def test_a_chain_hash_cannot_be_recomputed_without_the_audit_key(db, settings):
    school = SchoolFactory()
    record(action="x", school=school)
    seal_all()
    event = AuditEvent.objects.get(school=school)
    settings.AUDIT_KEY = "a key the attacker guessed"
    assert chain.row_hash(event, event.prev_hash) != event.row_hash
