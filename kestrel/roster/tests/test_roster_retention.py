"""What an import keeps of a child, and for how long: a preview nobody confirms is cancelled
after a week, and a finished import's rows (names and dates of birth as the file gave them) are
deleted 30 days after it finished; the import's own record (who, when, which file, counts) stays."""

import datetime

from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.roster.models import Kind, Outcome, RosterImport, RosterRow, State, UploadChunk
from kestrel.roster.services import forget_old_imports


def an_import(school, *, state, uploaded_days_ago=0, finished_days_ago=None, rows=2):
    now = timezone.now()
    roster_import = RosterImport.objects.create(
        school=school,
        kind=Kind.STUDENTS,
        state=state,
        file_name="roll.csv",
        file_sha256="0" * 64,
        uploaded_at=now - datetime.timedelta(days=uploaded_days_ago),
        finished_at=(
            now - datetime.timedelta(days=finished_days_ago)
            if finished_days_ago is not None
            else None
        ),
        counts={"rows": rows, "new": rows},
    )
    for number in range(rows):
        RosterRow.objects.create(
            roster_import=roster_import,
            row=number + 2,
            outcome=Outcome.NEW,
            values={"legal_first_name": "Ada", "legal_last_name": "Lovelace"},
        )
    UploadChunk.objects.create(roster_import=roster_import, position=0, data="x")
    return roster_import


def test_abandoned_previews_are_cancelled_and_old_rows_removed_but_recent_ones_kept(school):
    abandoned = an_import(school, state=State.PREVIEW, uploaded_days_ago=8)
    waiting = an_import(school, state=State.PREVIEW, uploaded_days_ago=6)
    old = an_import(school, state=State.DONE, uploaded_days_ago=40, finished_days_ago=31)
    recent = an_import(school, state=State.DONE, uploaded_days_ago=20, finished_days_ago=29)

    assert forget_old_imports() == (
        "1 abandoned imports cancelled, 1 finished imports' rows removed"
    )

    abandoned.refresh_from_db()
    assert abandoned.state == State.CANCELLED
    assert not RosterRow.objects.filter(roster_import=abandoned).exists()
    assert not UploadChunk.objects.filter(roster_import=abandoned).exists()
    assert RosterRow.objects.filter(roster_import=waiting).count() == 2
    assert not RosterRow.objects.filter(roster_import=old).exists()
    old.refresh_from_db()
    assert (old.state, old.counts["new"]) == (State.DONE, 2)  # the record of it stays
    assert RosterRow.objects.filter(roster_import=recent).count() == 2
    removed = AuditEvent.objects.get(action="roster.rows_removed")
    assert (removed.object_id, removed.detail) == (str(old.pk), {"rows": 2})
    assert AuditEvent.objects.filter(action="roster.cancelled", object_id=str(abandoned.pk))

    # Nothing more to do the next time.
    assert forget_old_imports() == (
        "0 abandoned imports cancelled, 0 finished imports' rows removed"
    )
