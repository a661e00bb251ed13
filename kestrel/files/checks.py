"""What Kestrel accepts as an attached file: the type is read from the content, not the name,
and the file is named, stored and given back as the type found."""

import re
import unicodedata
from dataclasses import dataclass

import puremagic

from kestrel.files import images, office
from kestrel.files.errors import Refused

MAX_BYTES = 20 * 1024 * 1024
MAX_LABEL = "20 MB"
SNIFF_BYTES = 64 * 1024

# Detected type -> what staff are told it is. Scripts, executables, HTML and SVG are refused.
ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    office.WORD: "Word document",
    office.EXCEL: "Excel spreadsheet",
    office.POWERPOINT: "PowerPoint",
    office.ODT: "OpenDocument text",
    "application/msword": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/rtf": "Rich text",
    "text/plain": "Text",
}
# The extensions of each type, the first being the one a file is given when its own name says
# another type ("statement.exe" holding a PDF is kept and downloaded as "statement.pdf").
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    office.WORD: (".docx",),
    office.EXCEL: (".xlsx",),
    office.POWERPOINT: (".pptx",),
    office.ODT: (".odt",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/rtf": (".rtf",),
    "text/plain": (".txt", ".csv"),
}
# Types recognised by their first bytes alone; office documents are checked by their structure.
SNIFFED = {"application/pdf", "application/rtf", *images.FORMATS}
TEXT_EXTENSIONS = EXTENSIONS["text/plain"]
# Pictures, as their content (not their name) shows them.
PICTURES = frozenset(images.FORMATS)

# Refusing a picture in a "No images" category (an incident category for nude or semi-nude
# images). UKCIS, "Sharing nudes and semi-nudes: advice for education settings": staff do not
# view, copy, print, share, store or save the imagery; they describe it and tell the DSL.
NO_IMAGES_MESSAGE = (
    "This category is for nude or semi-nude images: do not upload, copy or view the image. "
    "Describe it instead: what it shows (without viewing it again), who sent or shared it and "
    "with whom, and how you came to know of it. Do not delete it from the device: tell the DSL, "
    "who follows the UK Council for Internet Safety advice “Sharing nudes and semi-nudes: "
    "advice for education settings”."
)
ACCEPTED_LABEL = (
    "PDF, Word, Excel, PowerPoint, OpenDocument text, rich text, plain text or CSV, and PNG, "
    "JPEG, GIF or WebP images"
)


@dataclass(frozen=True)
class Checked:
    name: str
    content_type: str
    content: bytes | None = None  # what to store instead of the upload: a re-encoded picture

    @property
    def extension(self) -> str:
        return extension_of(self.name, self.content_type)


def clean_name(name: str) -> str:
    """The name as shown and given back on download: no folders, no control characters."""
    if not name or "/" in name or "\\" in name or "\x00" in name:
        raise Refused(
            "This file’s name contains a folder (a / or \\). "
            "Rename it to a plain name, then add it.",
            reason="name with a folder",
        )
    name = unicodedata.normalize("NFC", name)
    # Control characters go, and so do format characters such as right-to-left overrides, which
    # make "statement\u202efdp.exe" show as "statementexe.pdf".
    name = "".join(
        char for char in re.sub(r"[\x00-\x1f\x7f]", "", name) if unicodedata.category(char) != "Cf"
    )
    name = name.strip().strip(".")
    if not name:
        raise Refused(
            "This file has no usable name. Rename it, then add it.", reason="no usable name"
        )
    return name[-150:]


def check(name: str, file, size: int, *, no_pictures: bool = False) -> Checked:
    """Refuses an empty, oversized, unsupported or unsafe file, judging the type by its content;
    pictures come back re-encoded without their metadata, or are refused (`no_pictures`: the
    form's category is for nude or semi-nude images) before they are opened at all."""
    display = clean_name(name)
    if size == 0:
        raise Refused(f"“{display}” is empty (0 bytes). Choose the file again.", reason="empty")
    if size > MAX_BYTES:
        raise Refused(
            f"“{display}” is larger than {MAX_LABEL}. Add a smaller file.", reason="too large"
        )
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if head.startswith(office.ZIP_SIGNATURE):
        content_type = office.zip_document_type(file, display)
    elif head.startswith(office.OLE_SIGNATURE):
        content_type = office.ole_document_type(file, display)
    else:
        content_type = _sniffed(display, head)
    content = None
    if no_pictures and content_type in PICTURES:
        raise Refused(f"“{display}” is a picture. {NO_IMAGES_MESSAGE}", reason="no images")
    if content_type in images.FORMATS:
        content = images.reencoded(file, content_type, display)
        file.seek(0)
    return Checked(named(display, content_type), content_type, content)


def _sniffed(display: str, head: bytes) -> str:
    try:
        matches = puremagic.magic_string(head, display)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type in SNIFFED:
            return match.mime_type
        if match.mime_type in ("image/heic", "image/heif"):
            raise Refused(
                f"“{display}” is a HEIC photo. Kestrel cannot yet remove a HEIC photo’s "
                "location and other details, so it does not keep them: save it as JPEG (on an "
                "iPhone: Settings, Camera, Formats, Most Compatible), then add it.",
                reason="heic photo",
            )
        if match.mime_type and match.confidence >= 0.5:
            break  # a recognised type that is not allowed (an executable, a script, SVG, HTML)
    if display.lower().endswith(TEXT_EXTENSIONS) and _is_text(head) and not _is_markup(head):
        return "text/plain"
    raise Refused(
        f"“{display}” is not a type of file Kestrel accepts (its content, not its name, was "
        f"checked). Kestrel accepts {ACCEPTED_LABEL}.",
        reason="type not accepted",
    )


def named(display: str, content_type: str) -> str:
    """The name with the extension of the type found: the user's own name otherwise kept."""
    extensions = EXTENSIONS.get(content_type)
    if extensions is None:  # a type no longer accepted, kept before: its name as it was
        return display
    if display.lower().endswith(extensions):
        return display
    stem, dot, suffix = display.rpartition(".")
    if not (dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,10}", suffix)):
        stem = display
    stem = stem.rstrip(". ")
    if stem.lower().endswith(extensions):  # "statement.pdf.exe"
        return stem
    return f"{stem}{extensions[0]}"


def extension_of(name: str, content_type: str) -> str:
    extensions = EXTENSIONS[content_type]
    return next((ext for ext in extensions if name.lower().endswith(ext)), extensions[0])


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head[:-3].decode("utf-8")  # the sample may end mid-character
        except UnicodeDecodeError:
            return False
    return True


def _is_markup(head: bytes) -> bool:
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script"))
