"""What Kestrel accepts as an attached file: the type is read from the content, not the name."""

import re
import unicodedata
from dataclasses import dataclass

import puremagic

MAX_BYTES = 20 * 1024 * 1024
MAX_LABEL = "20 MB"

# Detected type -> what staff are told it is. Scripts, executables, HTML and SVG are refused.
ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/msword": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/rtf": "Rich text",
    "text/plain": "Text",
}
TEXT_EXTENSIONS = (".txt", ".csv")
ACCEPTED_LABEL = (
    "PDF, Word, Excel, PowerPoint, OpenDocument, rich text, plain text or CSV, and PNG, JPEG, "
    "GIF, WebP or HEIC images"
)


class Refused(Exception):
    """The file cannot be attached; the message says why, in plain words."""


@dataclass(frozen=True)
class Checked:
    name: str
    content_type: str


def clean_name(name: str) -> str:
    """The name as shown and given back on download: no folders, no control characters."""
    if not name or "/" in name or "\\" in name or "\x00" in name:
        raise Refused(
            "This file’s name contains a folder (a / or \\). "
            "Rename it to a plain name, then add it."
        )
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    if not name:
        raise Refused("This file has no usable name. Rename it, then add it.")
    return name[-150:]


def check(name: str, head: bytes, size: int) -> Checked:
    """Refuses an empty, oversized or unsupported file, judging the type by its content."""
    display = clean_name(name)
    if size == 0:
        raise Refused(f"“{display}” is empty (0 bytes). Choose the file again.")
    if size > MAX_BYTES:
        raise Refused(f"“{display}” is larger than {MAX_LABEL}. Add a smaller file.")
    try:
        matches = puremagic.magic_string(head, display)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type in ALLOWED and match.mime_type != "text/plain":
            return Checked(display, match.mime_type)
        if match.mime_type and match.mime_type not in ALLOWED and match.confidence >= 0.5:
            break  # a recognised type that is not allowed (an executable, a script, SVG, HTML)
    if display.lower().endswith(TEXT_EXTENSIONS) and _is_text(head) and not _is_markup(head):
        return Checked(display, "text/plain")
    raise Refused(
        f"“{display}” is not a type of file Kestrel accepts (its content, not its name, was "
        f"checked). Kestrel accepts {ACCEPTED_LABEL}."
    )


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
