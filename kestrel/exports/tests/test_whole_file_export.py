"""The whole-file export, made through its service and read back from the PDF with pypdf."""

import datetime
import hashlib
import io
import zipfile

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from kestrel.audit.models import AuditEvent
from kestrel.casefile import services as casefile
from kestrel.exports import services
from kestrel.exports.models import ExportRequest, State
from kestrel.files.models import Attachment
from kestrel.incidents.models import snapshot_of
from kestrel.incidents.services import add_correction
from kestrel.testing.factories import (
    ActionFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
)


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def oliver(school):
    return StudentFactory(
        school=school, legal_first_name="Oliver", legal_last_name="Brennan", tutor_group="1B"
    )


def at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def file_of_hannah(school, levels, people, hannah, oliver):
    """Hannah's file: a bruise with a body map marker, corrected; Oliver's incident she is linked
    to with a note; an action; a file attached; a status started on the case file."""
    category = CategoryFactory(school=school, name="Physical abuse", access_level=levels.dsl)
    bruise = IncidentFactory(
        student=hannah,
        reporter=people.teacher,
        categories=[category],
        text="Hannah had a bruise on her left forearm. Oliver Brennan was there.",
        child_words="Mum's boyfriend grabbed me.",
        occurred_at=at(20),
    )
    markers = [
        {
            "number": 1,
            "side": "front",
            "x": 0.2,
            "y": 0.4,
            "site": "Left forearm",
            "size": "3 cm",
            "colour": "Purple",
            "shape": "Oval",
            "broken": "no",
            "swelling": "yes",
        }
    ]
    bruise.snapshot = {
        **snapshot_of(categories=[category], markers=markers, author=people.teacher),
    }
    bruise.save(update_fields=["snapshot"])
    add_correction(
        actor=people.dsl,
        incident=bruise,
        text="Hannah had a bruise on her right forearm.",
        occurred_at=None,
        reason="The teacher misremembered the arm.",
    )
    ActionFactory(incident=bruise, author=people.dsl, text="Called children's social care.")
    Attachment.objects.create(
        school=school,
        uploaded_by=people.teacher,
        incident=bruise,
        original_name="photo-of-note.pdf",
        stored_name=default_storage.save("attachments/x/note.pdf", ContentFile(b"note")),
        content_type="application/pdf",
        size=1234,
        sha256=hashlib.sha256(b"note").hexdigest(),
    )
    olivers = IncidentFactory(
        student=oliver,
        reporter=people.teacher,
        categories=[category],
        text="Oliver pushed another child at break: the account of Oliver's incident.",
        occurred_at=at(10),
    )
    LinkedStudentFactory(incident=olivers, student=hannah, note="Hannah saw the push.")
    casefile.start_status(
        actor=people.dsl,
        student=hannah,
        kind="child_in_need",
        started_on=timezone.localdate() - datetime.timedelta(days=5),
        note="Started after the strategy meeting.",
    )
    return bruise


def exported(people, student, *, redacted=False, django_capture_on_commit_callbacks) -> tuple:
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(actor=people.dsl, student=student, redacted=redacted)
    export.refresh_from_db()
    pdf = b"".join(services.open_for_download(actor=people.dsl, export=export))
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return export, reader, " ".join(text.split())


def test_the_whole_file_holds_every_entry_correction_marker_and_file(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, reader, text = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert export.state == State.DONE
    assert export.progress_done == export.progress_total == 2
    assert "Hannah Greenwood (1B)" in text
    # The correction beside the original.
    assert "Hannah had a bruise on her left forearm." in text
    assert "Hannah had a bruise on her right forearm." in text
    assert "The teacher misremembered the arm." in text
    assert "Mum's boyfriend grabbed me." in text
    # The marker's details.
    assert "Marker 1, front: Left forearm." in text
    assert "Size: 3 cm." in text and "Colour: Purple." in text and "Swelling: Yes." in text
    assert "Called children's social care." in text
    # The linked entry: the note for her file, not Oliver's account.
    assert "Hannah saw the push." in text
    assert "the account of Oliver's incident" not in text
    # The case file.
    assert "Child in Need" in text and "Started after the strategy meeting." in text
    # The manifest.
    assert "photo-of-note.pdf" in text
    assert hashlib.sha256(b"note").hexdigest() in text.replace(" ", "")
    # Every page carries the marking and who exported it.
    for page in reader.pages:
        page_text = page.extract_text()
        assert "Confidential: child protection" in page_text
        assert "Exported by Chloe Kelan, Designated Safeguarding Lead" in page_text
    assert reader.metadata.title.startswith("Child protection file: Hannah Greenwood")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]


def test_the_redacted_variant_stars_other_childrens_names_not_the_childs_own(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    from kestrel.key_facts.services import add_contact

    add_contact(
        actor=people.dsl,
        student=hannah,
        name="Mark Greenwood",
        relationship="Father, and stepfather of Oliver Brennan",
    )
    _, _, text = exported(
        people,
        hannah,
        redacted=True,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert "Oliver" not in text and "Brennan" not in text
    assert "Father, and stepfather of ***** *****" in text
    assert "Mark Greenwood" in text  # the child's own family name is kept
    assert "Hannah Greenwood (1B)" in text


def test_the_export_and_its_download_are_audited_without_content(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, _, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    actions = list(
        AuditEvent.objects.filter(student=hannah, action__startswith="export.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["export.requested", "export.made", "export.downloaded"]
    downloaded = AuditEvent.objects.get(action="export.downloaded")
    assert downloaded.object_id == str(export.pk)
    assert "bruise" not in str(downloaded.detail)


def test_the_stored_pdf_is_encrypted(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, _, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    with default_storage.open(export.stored_name, "rb") as stored:
        assert not stored.read().startswith(b"%PDF")


def test_a_teacher_cannot_ask_for_an_export(people, hannah):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.request_export(actor=people.teacher, student=hannah, redacted=False)
    assert not ExportRequest.objects.exists()


def test_the_attached_files_come_in_a_zip_with_their_recorded_sha256(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, _, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert export.files_count == 1
    with default_storage.open(export.files_stored_name, "rb") as stored:
        assert not stored.read().startswith(b"PK")  # encrypted at rest
    bundle = b"".join(services.open_for_download(actor=people.dsl, export=export, files=True))
    with zipfile.ZipFile(io.BytesIO(bundle)) as opened:
        name = f"incident-{file_of_hannah.pk}/"
        (path,) = [n for n in opened.namelist() if n.startswith(name)]
        assert path.endswith("-photo-of-note.pdf")
        assert opened.read(path) == b"note"
        sums = opened.read("SHA256SUMS").decode()
    assert f"{hashlib.sha256(b'note').hexdigest()}  {path}" in sums
    assert AuditEvent.objects.filter(action="export.files_downloaded", student=hannah).exists()


def test_a_redacted_export_offers_no_zip_of_files_it_cannot_redact(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, _, text = exported(
        people,
        hannah,
        redacted=True,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert export.files_stored_name == ""
    assert "photo-of-note.pdf" in text  # still listed in the manifest


def test_the_pdf_is_tagged_with_headings_and_the_body_map_figures_described(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    _, reader, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    tags, figures = [], []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            tags.append(node.get("/S"))
            if node.get("/S") == "/Figure":
                figures.append(node.get("/Alt"))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    assert {"/H1", "/H2", "/H3", "/Table"} <= set(tags)
    assert figures == ["Front of the body", "Back of the body"]


def test_an_export_asked_for_by_someone_who_has_since_lost_their_key_is_not_made(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    from kestrel.exports.tasks import make_export

    export = services.request_export(actor=people.dsl, student=hannah, redacted=False)
    people.dsl.is_key_holder = False
    people.dsl.save(update_fields=["is_key_holder"])
    make_export.call(export.pk)
    export.refresh_from_db()
    assert export.state == State.FAILED
    assert export.stored_name == ""


def test_an_exports_files_are_deleted_a_week_after_it_was_made(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks
):
    export, _, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    names = [export.stored_name, export.files_stored_name]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.forget_old_exports().startswith("0 old exports")
    assert all(default_storage.exists(name) for name in names)
    later = timezone.now() + services.KEPT_FOR + datetime.timedelta(hours=1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert services.forget_old_exports().startswith("1 old exports")
    assert not any(default_storage.exists(name) for name in names)
    export.refresh_from_db()
    assert (export.stored_name, export.files_stored_name) == ("", "")
    assert AuditEvent.objects.filter(action="export.removed", student=hannah).count() == 1


def test_an_export_lost_with_its_worker_fails_after_a_day(people, hannah):
    export = services.request_export(actor=people.dsl, student=hannah, redacted=False)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        services.forget_old_exports()
    export.refresh_from_db()
    assert export.state == State.FAILED


def test_a_second_request_while_the_first_is_being_made_gets_the_first(people, hannah):
    first = services.request_export(actor=people.dsl, student=hannah, redacted=False)
    assert services.request_export(actor=people.dsl, student=hannah, redacted=True) == first
    assert ExportRequest.objects.count() == 1


def test_the_worker_forgets_old_exports_on_its_rounds(settings):
    assert "kestrel.exports.services.forget_old_exports" in settings.PERIODIC_JOBS


def test_pdftoppm_renders_every_page_of_the_export(
    people, hannah, file_of_hannah, django_capture_on_commit_callbacks, tmp_path
):
    """The PDF is one a standard reader draws (poppler's pdftoppm: .ci/run installs it), page by
    page, at A4's proportions, with ink on each page."""
    import subprocess

    from PIL import Image

    export, reader, _ = exported(
        people, hannah, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    pdf = tmp_path / "file.pdf"
    pdf.write_bytes(b"".join(services.open_for_download(actor=people.dsl, export=export)))
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(reader.pages) > 1
    for path in pages:
        image = Image.open(path).convert("L")
        width, height = image.size
        assert 1.35 < height / width < 1.48  # A4 portrait
        assert image.getextrema()[0] < 100  # something dark is drawn on it
