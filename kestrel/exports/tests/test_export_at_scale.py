"""A 500-entry chronology exported and read back: every entry, correction and marker is in the
PDF. The time it takes is printed (run with -s), not asserted: timings belong in `make bench`."""

import datetime
import io
import time

import pytest
from django.utils import timezone
from pypdf import PdfReader

from kestrel.exports import services
from kestrel.incidents.models import Action, Correction, Incident, snapshot_of
from kestrel.testing.factories import CategoryFactory, StudentFactory

ENTRIES = 500
SENTENCE = (
    "At lunch she said she was not allowed home until late and had not eaten since yesterday; "
    "the teacher on duty gave her toast and passed this on the same afternoon. "
)


def marker(number: int) -> dict:
    return {
        "number": 1,
        "side": "front" if number % 2 else "back",
        "x": 0.3,
        "y": 0.5,
        "site": f"Site of marker on entry {number}",
        "size": "2 cm",
        "shape": "Round",
        "colour": "Blue",
        "broken": "no",
        "swelling": "unknown",
    }


@pytest.fixture
def long_file(school, levels, people):
    """A child with ENTRIES incidents: a marker on every fifth, a correction on every tenth,
    an action on every other."""
    child = StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")
    category = CategoryFactory(school=school, name="Neglect", access_level=levels.dsl)
    start = timezone.now() - datetime.timedelta(days=ENTRIES + 1)
    incidents = Incident.objects.bulk_create(
        Incident(
            school=school,
            student=child,
            reporter=people.teacher,
            text=f"Entry {number}. " + SENTENCE * 4,
            occurred_at=start + datetime.timedelta(days=number),
            recorded_at=start + datetime.timedelta(days=number, hours=2),
            required_rank=levels.dsl.rank,
            snapshot=snapshot_of(
                categories=[category],
                markers=[marker(number)] if number % 5 == 0 else [],
                author=people.teacher,
            ),
        )
        for number in range(ENTRIES)
    )
    Incident.categories.through.objects.bulk_create(
        Incident.categories.through(incident=incident, category=category) for incident in incidents
    )
    Correction.objects.bulk_create(
        Correction(
            incident=incident,
            author=people.dsl,
            text=f"Corrected entry {number}. " + SENTENCE,
            reason=f"Reason for correcting entry {number}",
        )
        for number, incident in enumerate(incidents)
        if number % 10 == 0
    )
    Action.objects.bulk_create(
        Action(
            school=school,
            incident=incident,
            author=people.dsl,
            text=f"Action on entry {number}: spoke to the parent.",
            occurred_at=incident.occurred_at + datetime.timedelta(hours=3),
        )
        for number, incident in enumerate(incidents)
        if number % 2 == 0
    )
    return child


def test_a_500_entry_file_exports_with_every_entry_correction_and_marker(
    people, long_file, django_capture_on_commit_callbacks
):
    began = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(actor=people.dsl, student=long_file, redacted=False)
    took = time.perf_counter() - began
    export.refresh_from_db()
    pdf = b"".join(services.open_for_download(actor=people.dsl, export=export))
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    print(f"\n{ENTRIES} entries: {took:.1f} s, {len(reader.pages)} pages, {len(pdf) // 1024} KiB")
    assert export.progress_done == ENTRIES
    for number in range(ENTRIES):
        assert f"Entry {number}. At lunch" in text
        if number % 10 == 0:
            assert f"Corrected entry {number}." in text
            assert f"Reason for correcting entry {number}" in text
        if number % 5 == 0:
            assert f"Site of marker on entry {number}." in text
        if number % 2 == 0:
            assert f"Action on entry {number}: spoke to the parent." in text
