"""Office documents are read for the structure of their type, not trusted by their name.

Word, Excel, PowerPoint (2007 on) and OpenDocument files are ZIP archives: any ZIP named `.docx`
would otherwise pass, including a zip bomb or one carrying a program or a `../` path. Older Word
and Excel files are OLE compound files, the container Windows installers (.msi) use too.
Macro-enabled documents are refused: macros are programs, and a safeguarding record has no need
of them.
"""

import struct
import zipfile
import zlib

from django.conf import settings

from kestrel.files.errors import Refused

MAX_ENTRIES = 5000
# A part above 1 MB unpacking to more than 100 times its packed size is a bomb, not a document.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
READ_CHUNK = 64 * 1024

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POWERPOINT = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"

# The main part of each type, and the content type [Content_Types].xml must give it. The
# macro-enabled and template types declare other content types, so they do not match.
OOXML = {
    "word/document.xml": (WORD, f"{WORD}.main+xml"),
    "xl/workbook.xml": (EXCEL, f"{EXCEL}.main+xml"),
    "ppt/presentation.xml": (POWERPOINT, f"{POWERPOINT}.main+xml"),
}
ODF = {ODT}

EXECUTABLE = (
    ".exe", ".dll", ".com", ".scr", ".pif", ".cpl", ".msi", ".msp", ".msc", ".bat", ".cmd",
    ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".jar", ".lnk",
    ".reg", ".inf", ".sh", ".app", ".apk", ".elf", ".so", ".dylib",
)  # fmt: skip
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
ODF_MACRO_FOLDERS = ("basic/", "scripts/")

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"


def max_unpacked_bytes() -> int:
    return settings.FILES_MAX_UNPACKED_MB * 1024 * 1024


def _unsafe_name(name: str) -> bool:
    """A path that could leave the folder it is unpacked into, or a program."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in name:
        return True
    if any(part == ".." for part in name.split("/")):
        return True
    return name.lower().rstrip("/").endswith(EXECUTABLE)


def zip_document_type(file, display: str) -> str:
    """The type of office document a ZIP archive holds, after checking every entry."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            content_type = _ooxml_or_odf(archive, entries, display)
            _unpack_within_bound(archive, entries, display)
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            OSError, EOFError, zlib.error, ValueError):  # fmt: skip
        raise Refused(
            f"“{display}” could not be opened as a document: it may be damaged or protected "
            "with a password. Open it, save it again, then add it.",
            reason="damaged document",
        ) from None
    finally:
        file.seek(0)
    return content_type


def _ooxml_or_odf(archive: zipfile.ZipFile, entries, display: str) -> str:
    if len(entries) > MAX_ENTRIES:
        raise _too_large(display)
    names = [info.filename for info in entries]
    if len(set(names)) != len(names) or any(_unsafe_name(name) for name in names):
        raise Refused(
            f"“{display}” holds something a document should not: a program, or a file placed "
            "outside the document’s own folders. Kestrel does not accept it.",
            reason="unsafe archive entry",
        )
    lowered = [name.lower() for name in names]
    if any(name.endswith(MACRO_PARTS) for name in lowered) or any(
        name.startswith(ODF_MACRO_FOLDERS) for name in lowered
    ):
        raise _macros(display)
    if names and names[0] == "mimetype":
        declared = _read_capped(archive, entries[0], 1024, display).strip()
        if declared.decode("ascii", "replace") in ODF and "content.xml" in names:
            return declared.decode("ascii")
    elif "[Content_Types].xml" in names:
        declared = _read_capped(
            archive, archive.getinfo("[Content_Types].xml"), 1024 * 1024, display
        )
        if b"macroEnabled" in declared:
            raise _macros(display)
        for part, (content_type, main) in OOXML.items():
            if part in names and main.encode() in declared:
                return content_type
    raise Refused(
        f"“{display}” is a compressed (ZIP) file, not a Word, Excel, PowerPoint or OpenDocument "
        "text document. Kestrel accepts only documents, not archives of other files.",
        reason="not an office document",
    )


def _unpack_within_bound(archive: zipfile.ZipFile, entries, display: str) -> None:
    """The sizes the archive declares, and then (because a header can lie) the bytes it really
    unpacks to, stay within the bound; reading every entry also checks its checksum."""
    budget = max_unpacked_bytes()
    declared = 0
    for info in entries:
        declared += info.file_size
        ratio_large = info.file_size > RATIO_FROM_BYTES and (
            info.file_size > MAX_RATIO * max(info.compress_size, 1)
        )
        if declared > budget or ratio_large:
            raise _too_large(display)
    for info in entries:
        budget -= _unpack(archive, info, budget, display)


def _unpack(archive, info, cap: int, display: str, keep: list | None = None) -> int:
    """Unpacks one entry in chunks, counting its real size; past `cap` bytes the file is
    refused. The bytes are kept only when `keep` is given."""
    total = 0
    with archive.open(info) as member:
        while chunk := member.read(READ_CHUNK):
            total += len(chunk)
            if total > cap:
                raise _too_large(display)
            if keep is not None:
                keep.append(chunk)
    return total


def _read_capped(archive, info, cap: int, display: str) -> bytes:
    kept = []
    _unpack(archive, info, cap, display, kept)
    return b"".join(kept)


def _too_large(display: str) -> Refused:
    return Refused(
        f"“{display}” unpacks to more than {settings.FILES_MAX_UNPACKED_MB} MB, or is built to "
        "look smaller than it is. Kestrel does not accept it.",
        reason="unpacks too large",
    )


def _macros(display: str) -> Refused:
    return Refused(
        f"“{display}” contains macros, which Kestrel does not accept. Save it as a document "
        "without macros (for example .docx or .xlsx), then add it.",
        reason="macros",
    )


# Legacy Word and Excel: the OLE directory names the streams inside. Each directory entry is
# 128 bytes, aligned to 128 bytes after the 512-byte header: a UTF-16 name of up to 64 bytes,
# its length in bytes (with the final NUL), then the entry's type (1 storage, 2 stream).
OLE_TYPES = {"WordDocument": "application/msword", "Workbook": "application/vnd.ms-excel"}
OLE_TYPES["Book"] = OLE_TYPES["Workbook"]  # Excel 5/95
OLE_MACROS = {"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"}


def ole_entry_names(data: bytes) -> set[str]:
    names = set()
    for offset in range(512, len(data) - 127, 128):
        (length,) = struct.unpack_from("<H", data, offset + 64)
        kind = data[offset + 66]
        if kind in (1, 2) and 4 <= length <= 64 and length % 2 == 0:
            raw = data[offset : offset + length - 2]
            try:
                names.add(raw.decode("utf-16-le"))
            except UnicodeDecodeError:
                continue
    return names


def ole_document_type(file, display: str) -> str:
    file.seek(0)
    data = file.read()
    file.seek(0)
    names = ole_entry_names(data)
    if names & OLE_MACROS:
        raise _macros(display)
    if "EncryptedPackage" in names:
        raise Refused(
            f"“{display}” is protected with a password, so Kestrel cannot check it. Remove the "
            "password, save it again, then add it.",
            reason="protected document",
        )
    found = {OLE_TYPES[name] for name in names if name in OLE_TYPES}
    if len(found) == 1:
        return found.pop()
    raise Refused(
        f"“{display}” is not a Word or Excel document (its content, not its name, was checked). "
        "Kestrel does not accept it.",
        reason="not an office document",
    )
