"""What is inside a file decides whether it is kept and what it is called: office documents have the
structure of their type, photos lose their metadata, names carry the extension of the type found."""

import io
import os
import struct
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, PngImagePlugin

from kestrel.audit.models import AuditEvent
from kestrel.files.models import Attachment
from kestrel.library.models import DocumentVersion
from kestrel.testing.auth import sign_in_fully
from kestrel.testing.factories import IncidentFactory, StudentFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
OOXML = "application/vnd.openxmlformats-officedocument"
MAIN = {
    "word/document.xml": f"{OOXML}.wordprocessingml.document.main+xml",
    "xl/workbook.xml": f"{OOXML}.spreadsheetml.sheet.main+xml",
    "ppt/presentation.xml": f"{OOXML}.presentationml.presentation.main+xml",
}


def office(part="word/document.xml", extra=(), content_type=None) -> bytes:
    """A small but well-formed Word, Excel or PowerPoint file, with `extra` entries added."""
    declared = content_type or MAIN[part]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/{part}" ContentType="{declared}"/></Types>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document/>")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip(*entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(megabytes: int) -> bytes:
    """A Word-shaped archive whose one extra part unpacks to `megabytes` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" '
            f'ContentType="{MAIN["word/document.xml"]}"/></Types>',
        )
        archive.writestr("word/document.xml", "<document/>")
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(block)
    return buffer.getvalue()


def lying_about_size(data: bytes, entry: str, declared: int) -> bytes:
    """The archive with `entry`'s uncompressed size rewritten, in both headers, as `declared`."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(entry)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, declared)  # local header
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        (name_length,) = struct.unpack_from("<H", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_length].decode() == entry:
            struct.pack_into("<I", patched, offset + 24, declared)  # central directory
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(patched)


def ole(*entries: tuple[str, int]) -> bytes:
    """An OLE compound file whose directory names `entries` (name, 1 storage / 2 stream)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x1A, 0x3E, 3, 0xFFFE)
    struct.pack_into("<H", header, 0x1E, 9)
    directory = bytearray()
    for name, kind in (("Root Entry", 5), *entries):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le")
        entry[: len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded) + 2)
        entry[66] = kind
        directory += entry
    directory += bytes(-len(directory) % 512)
    return bytes(header) + bytes(directory) + b"\x00" * 512


def photo_with_location(fmt="JPEG", size=(40, 20), orientation=6) -> bytes:
    """A photo as a phone takes it: EXIF with GPS coordinates and an orientation."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (180, 90, 60))
    options = {"exif": exif.tobytes()}
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Location", "51.5074 N, 0.1278 W")
        options["pnginfo"] = text
    if fmt == "WEBP":
        options["xmp"] = b"<x:xmpmeta><GPSLatitude>51.5</GPSLatitude></x:xmpmeta>"
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(client, name, content):
    return client.post("/files/upload/", {"file": SimpleUploadedFile(name, content)})


def stored_bytes(attachment) -> bytes:
    with default_storage.open(attachment.stored_name, "rb") as handle:
        return handle.read()


@pytest.fixture
def teacher(people, signed_in):
    return signed_in(people.teacher)


def refused(response, message):
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]
    assert Attachment.objects.count() == 0


# Office documents: the structure of their type -------------------------------------------------


def test_a_zip_named_docx_that_holds_no_word_document_is_refused(teacher):
    response = upload(teacher, "minutes.docx", plain_zip(("notes.txt", b"hello")))
    refused(response, "is a compressed (ZIP) file, not a Word, Excel, PowerPoint")


def test_a_zip_bomb_named_docx_is_refused_without_unpacking_it(teacher):
    bomb = zip_bomb(200)
    assert len(bomb) < 2 * 1024 * 1024  # 200 MB unpacked from a file under 2 MB
    refused(upload(teacher, "report.docx", bomb), "unpacks to more than 100 MB")


def test_an_archive_whose_headers_understate_its_size_is_refused(teacher, settings):
    settings.FILES_MAX_UNPACKED_MB = 5
    # 8 MB of content declared as 1 KB in both headers: the real bytes are counted, not the claim.
    bomb = lying_about_size(zip_bomb(8), "word/media/image1.bin", 1024)
    refused(upload(teacher, "report.docx", bomb), "“report.docx”")


def test_the_unpacked_size_bound_is_a_setting(teacher, settings):
    photo = os.urandom(3 * 1024 * 1024)  # 3 MB that do not compress: no bomb, only large
    document = office(extra=[("word/media/image1.png", photo)])
    settings.FILES_MAX_UNPACKED_MB = 2
    refused(upload(teacher, "report.docx", document), "unpacks to more than 2 MB")
    settings.FILES_MAX_UNPACKED_MB = 4
    assert upload(teacher, "report.docx", document).status_code == 200


@pytest.mark.parametrize(
    "entry",
    [
        "../../evil.txt",
        "word/../../../evil.txt",
        "/etc/cron.d/evil",
        "word\\..\\..\\evil.txt",
        "C:/Windows/evil.txt",
        "word/media/invoice.exe",
        "word/embeddings/run.JS",
        "payload.bat",
    ],
)
def test_a_document_with_a_traversal_or_program_entry_is_refused(teacher, entry):
    response = upload(teacher, "letter.docx", office(extra=[(entry, b"MZ")]))
    refused(response, "holds something a document should not")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("budget.xlsm", office("xl/workbook.xml", [("xl/vbaProject.bin", b"\xd0\xcf")])),
        (
            "letter.docm",
            office(content_type="application/vnd.ms-word.document.macroEnabled.main+xml"),
        ),
        ("old.doc", ole(("WordDocument", 2), ("Macros", 1))),
        ("old.xls", ole(("Workbook", 2), ("_VBA_PROJECT_CUR", 1))),
    ],
)
def test_documents_with_macros_are_refused(teacher, name, content):
    refused(upload(teacher, name, content), "contains macros")


@pytest.mark.parametrize(
    ("name", "content", "kept_as", "kind"),
    [
        ("letter.docx", office("word/document.xml"), "letter.docx", "Word document"),
        ("budget.xlsx", office("xl/workbook.xml"), "budget.xlsx", "Excel spreadsheet"),
        ("slides.pptx", office("ppt/presentation.xml"), "slides.pptx", "PowerPoint"),
        ("minutes.odt", odt(), "minutes.odt", "OpenDocument text"),
        # The type is read from the structure: a spreadsheet named .docx is kept as .xlsx.
        ("budget.docx", office("xl/workbook.xml"), "budget.xlsx", "Excel spreadsheet"),
        ("old letter.doc", ole(("WordDocument", 2)), "old letter.doc", "Word document"),
        ("register.xls", ole(("Workbook", 2)), "register.xls", "Excel spreadsheet"),
    ],
)
def test_office_documents_are_kept_as_the_type_their_structure_shows(
    teacher, name, content, kept_as, kind
):
    answer = upload(teacher, name, content).json()
    assert (answer["name"], answer["type"]) == (kept_as, kind)
    stored = Attachment.objects.get(pk=answer["id"])
    assert stored.stored_name.endswith("." + kept_as.rsplit(".", 1)[1])
    assert stored_bytes(stored) == content


def test_another_ole_file_named_doc_such_as_an_installer_is_refused(teacher):
    installer = ole(("\x05SummaryInformation", 2), ("Binary.install", 2))
    refused(upload(teacher, "letter.doc", installer), "is not a Word or Excel document")


def test_an_odt_whose_mimetype_names_another_type_is_refused(teacher):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/x-java-archive")
        archive.writestr("content.xml", "<x/>")
    refused(upload(teacher, "minutes.odt", buffer.getvalue()), "is a compressed (ZIP) file")


# Names: the extension of the type found --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kept_as"),
    [
        ("statement.exe", "statement.pdf"),
        ("statement.pdf.exe", "statement.pdf"),
        ("statement", "statement.pdf"),
        ("Statement.PDF", "Statement.PDF"),
        ("statement\u202efdp.exe", "statementfdp.pdf"),  # a right-to-left override is dropped
    ],
)
def test_a_pdf_is_stored_and_downloaded_with_the_pdf_extension_whatever_its_name(
    people, school, teacher, name, kept_as
):
    answer = upload(teacher, name, PDF).json()
    assert answer["name"] == kept_as
    file = Attachment.objects.get(pk=answer["id"])
    assert file.stored_name.endswith(".pdf")
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    Attachment.objects.filter(pk=file.pk).update(incident=incident)
    response = teacher.get(f"/files/{file.key}/")
    assert response["Content-Disposition"] == f'attachment; filename="{kept_as}"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_kept_before_names_were_corrected_downloads_with_the_extension_of_its_type(
    people, school, teacher
):
    answer = upload(teacher, "statement.pdf", PDF).json()
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    Attachment.objects.filter(pk=answer["id"]).update(
        incident=incident, original_name="statement.exe"
    )
    file = Attachment.objects.get(pk=answer["id"])
    response = teacher.get(f"/files/{file.key}/")
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'


def test_a_name_outside_ascii_is_given_in_the_rfc_6266_form(people, school, teacher):
    answer = upload(teacher, "Zoë’s statement.exe", PDF).json()
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    Attachment.objects.filter(pk=answer["id"]).update(incident=incident)
    file = Attachment.objects.get(pk=answer["id"])
    disposition = teacher.get(f"/files/{file.key}/")["Content-Disposition"]
    assert disposition == "attachment; filename*=utf-8''Zo%C3%AB%E2%80%99s%20statement.pdf"


# Photos: metadata stripped before they are kept ------------------------------------------------


def test_a_jpeg_with_a_gps_location_is_kept_without_any_exif_and_upright(teacher):
    original = photo_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the location is there
    answer = upload(teacher, "bruise.jpg", original).json()
    assert answer["type"] == "JPEG image"
    stored = stored_bytes(Attachment.objects.get(pk=answer["id"]))
    image = Image.open(io.BytesIO(stored))
    image.load()  # the picture still opens
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    assert image.size == (20, 40)  # orientation 6 applied: turned upright, not left to EXIF


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "bruise.png"), ("WEBP", "bruise.webp")])
def test_png_and_webp_photos_lose_their_exif_text_and_xmp(teacher, fmt, name):
    answer = upload(teacher, name, photo_with_location(fmt, orientation=1)).json()
    stored = stored_bytes(Attachment.objects.get(pk=answer["id"]))
    image = Image.open(io.BytesIO(stored))
    image.load()
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "Location", "icc_profile"} & set(image.info)
    assert b"51.5" not in stored and b"PhoneMaker" not in stored


def test_the_stored_size_and_checksum_are_of_the_stored_photo(teacher):
    import hashlib

    answer = upload(teacher, "bruise.jpg", photo_with_location()).json()
    file = Attachment.objects.get(pk=answer["id"])
    stored = stored_bytes(file)
    assert (file.size, file.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())


def test_a_picture_of_too_many_pixels_is_refused_with_a_message(teacher):
    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, "PNG")  # 60 megapixels in a few kilobytes
    refused(upload(teacher, "scan.png", buffer.getvalue()), "too large a picture")


def test_a_damaged_picture_is_refused_with_a_message(teacher):
    damaged = photo_with_location()[:200]
    refused(upload(teacher, "bruise.jpg", damaged), "could not be opened as a picture")


def test_a_heic_photo_is_refused_with_how_to_send_it_as_jpeg(teacher):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    refused(upload(teacher, "IMG_0001.HEIC", heic), "save it as JPEG")


# The refusal is recorded without the file's name ----------------------------------------------


def test_a_refused_upload_is_audited_by_reason_without_the_file_name(people, teacher):
    upload(teacher, "Siobhan_ONeill_statement.docx", plain_zip(("a.txt", b"x")))
    event = AuditEvent.objects.get(action="file.refused")
    assert event.detail == {"reason": "not an office document"}
    assert "Siobhan" not in str(event.detail) + event.object_label


# The Library takes files through the same checks -----------------------------------------------


@pytest.fixture
def dsl(people):
    return sign_in_fully(Client(), people.dsl)


def publish(client, file):
    return client.post(
        "/library/publish/",
        {
            "title": "Child protection policy 2026",
            "new_category": "Policies",
            "summary": "Read this before the first day of term.",
            "file": file,
        },
    )


def test_the_library_refuses_a_zip_bomb_named_docx_keeps_what_was_typed_and_records_why(
    dsl, people
):
    response = publish(dsl, SimpleUploadedFile("policy.docx", zip_bomb(200)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "unpacks to more than 100 MB" in page
    assert "Child protection policy 2026" in page and "Read this before the first" in page
    assert not DocumentVersion.objects.exists()
    refusal = AuditEvent.objects.get(action="file.refused")
    assert (refusal.actor, refusal.detail) == (people.dsl, {"reason": "unpacks too large"})


def test_a_library_document_is_stored_and_downloaded_as_the_type_found(dsl):
    publish(dsl, SimpleUploadedFile("policy.exe", PDF))
    version = DocumentVersion.objects.get()
    assert version.original_name == "policy.pdf" and version.stored_name.endswith(".pdf")
    response = dsl.get(f"/library/{version.document_id}/versions/1/download/")
    assert response["Content-Disposition"] == 'attachment; filename="policy.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_library_photo_is_kept_without_its_location(dsl):
    publish(dsl, SimpleUploadedFile("poster.jpg", photo_with_location()))
    version = DocumentVersion.objects.get()
    with default_storage.open(version.stored_name, "rb") as handle:
        assert dict(Image.open(handle).getexif()) == {}


def test_a_library_document_kept_under_another_extension_downloads_as_its_type(dsl):
    publish(dsl, SimpleUploadedFile("policy.pdf", PDF))
    DocumentVersion.objects.update(original_name="policy.exe")  # kept before names were checked
    version = DocumentVersion.objects.get()
    response = dsl.get(f"/library/{version.document_id}/versions/1/download/")
    assert response["Content-Disposition"] == 'attachment; filename="policy.pdf"'


def test_a_refused_new_version_keeps_what_changed_and_says_why_at_the_file(dsl):
    publish(dsl, SimpleUploadedFile("policy.pdf", PDF))
    document = DocumentVersion.objects.get().document_id
    response = dsl.post(
        f"/library/{document}/versions/",
        {"file": SimpleUploadedFile("policy.docx", zip_bomb(200)), "notes": "New LADO contact"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "unpacks to more than 100 MB" in page
    assert 'value="New LADO contact"' in page
    assert DocumentVersion.objects.count() == 1


def test_an_animated_gif_keeps_every_frame_and_its_timing(teacher):
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0
    )
    answer = upload(teacher, "drawing.gif", buffer.getvalue()).json()
    stored = Image.open(io.BytesIO(stored_bytes(Attachment.objects.get(pk=answer["id"]))))
    timings = []
    for frame in range(stored.n_frames):
        stored.seek(frame)
        timings.append(stored.info["duration"])
    assert timings == [100, 200, 300]
