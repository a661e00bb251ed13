"""Each chain's head is published outside the database, so rows removed from its end are found."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string

from kestrel.audit import heads
from kestrel.audit.models import AuditEvent
from kestrel.audit.sealing import seal_all
from kestrel.audit.services import record
from kestrel.audit.tests.tampering import TABLE, slip_in, tamper
from kestrel.testing.factories import SchoolFactory


@pytest.fixture(autouse=True)
def _publish_at_every_call(settings):
    settings.AUDIT_HEADS_EVERY_SECONDS = 0


@pytest.fixture
def school(db):
    school = SchoolFactory()
    for n in range(6):
        record(action=f"test.{n}", school=school, detail={"n": n})
    seal_all()
    return school


def verify(capsys) -> tuple[str, str]:
    call_command("verify_audit")
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_deleting_the_newest_rows_of_a_chain_is_found_once_its_head_was_published(school, capsys):
    assert heads.publish_heads() == 1
    tamper(f"DELETE FROM {TABLE} WHERE school_id = %s AND seq > 4", [school.pk])

    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert (
        f"chain {school.pk} (school {school.pk}): chain ends at 4 but head 6 was published at"
        in err
    )


def test_a_chain_with_its_newest_rows_intact_passes_after_publication_and_growth(school, capsys):
    heads.publish_heads()
    record(action="test.later", school=school)  # written after the head: not a fault
    out, _ = verify(capsys)
    assert "1 published chain heads compared." in out
    assert "Audit trail intact: 7 events checked." in out


def test_publishing_writes_a_new_head_only_when_the_chain_has_grown(school):
    assert heads.publish_heads() == 1
    assert heads.publish_heads() == 0
    record(action="test.later", school=school)
    assert heads.publish_heads() == 0  # not sealed yet: the chain has not grown
    seal_all()
    assert heads.publish_heads() == 1
    first, second = heads.published(school.pk)
    assert (first.seq, second.seq) == (6, 7)
    assert second.previous == first.name
    assert first.row_hash == AuditEvent.objects.get(chain=school.pk, seq=6).row_hash
    assert first.sealed and second.sealed


def test_an_altered_published_head_is_reported(school, capsys):
    heads.publish_heads()
    (name,) = [head.name for head in heads.published(school.pk)]
    content = json.loads(heads.store().open(name).read())
    content["seq"] = 3  # as if the chain had ended there
    heads.store().delete(name)
    heads.store().save(name, heads.ContentFile(json.dumps(content).encode()))

    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert f"the published head {name} has been altered" in capsys.readouterr().err


def test_a_head_sealed_with_another_key_is_reported(school, capsys, settings):
    settings.AUDIT_KEY = "a key the attacker guessed"
    heads.publish_heads()
    settings.AUDIT_KEY = ""
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "has been altered (its seal does not match)" in capsys.readouterr().err


def test_removing_a_published_head_between_two_others_is_reported(school, capsys):
    for n in range(3):
        record(action="test.more", school=school, detail={"n": n})
        seal_all()
        heads.publish_heads()
    middle = heads.published(school.pk)[1]
    heads.store().delete(middle.name)
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "a published head before sequence 9 is missing" in capsys.readouterr().err


def test_a_chain_rewritten_from_a_published_head_on_is_reported(school, capsys):
    heads.publish_heads()
    # Rows 5 and 6 replaced by forged rows of the same numbers (with the chain's key, the hashes
    # would even link): the published hash of row 6 no longer matches.
    tamper(
        f"UPDATE {TABLE} SET row_hash = %s WHERE school_id = %s AND seq = 6", ["f" * 64, school.pk]
    )
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "the row at sequence 6 is not the one published at" in capsys.readouterr().err


def test_removing_a_row_in_the_middle_is_still_found_with_heads_published(school, capsys):
    heads.publish_heads()
    tamper(f"DELETE FROM {TABLE} WHERE school_id = %s AND seq = 3", [school.pk])
    with pytest.raises(CommandError, match="1 broken chain"):
        call_command("verify_audit")
    assert "sequence 3: row missing (next row found is 4)" in capsys.readouterr().err


def test_inserting_a_row_in_the_middle_is_still_found_with_heads_published(school, capsys):
    heads.publish_heads()
    slip_in(AuditEvent.objects.get(chain=school.pk, seq=3), at=3)
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "sequence 3, row id" in capsys.readouterr().err


def test_a_fresh_install_with_no_heads_published_is_not_a_fault_but_says_so(
    school, capsys, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_heads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "never-made"},
        },
    }
    out, _ = verify(capsys)
    assert "No chain heads have been published yet" in out
    assert "Audit trail intact: 6 events checked." in out


def test_tidy_publishes_the_heads_too(school, capsys):
    call_command("tidy")
    assert "0 audit rows sealed; published 1 audit chain heads." in capsys.readouterr().out
    assert [head.seq for head in heads.published(school.pk)] == [6]


def test_a_chain_that_grows_is_published_at_most_once_a_period(school, settings):
    settings.AUDIT_HEADS_EVERY_SECONDS = 300
    assert heads.publish_heads() == 1
    record(action="test.later", school=school)
    seal_all()
    assert heads.publish_heads() == 0  # within the period: the next run publishes it
    assert heads.publish_heads(every_seconds=0) == 1


def test_the_worker_publishes_the_heads(settings):
    assert "kestrel.audit.heads.publish_heads" in settings.PERIODIC_JOBS
    assert import_string("kestrel.audit.heads.publish_heads") is heads.publish_heads
