"""The attached files of an export, in a ZIP beside its PDF: each file under its incident, and
SHA256SUMS with the digest each file was recorded with when uploaded, for `sha256sum -c` at the
receiving end (a file changed in storage since then fails that check, as it should)."""

import hashlib
import re
import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from django.core.files.storage import default_storage

NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f]")


def name_in_zip(file: dict) -> str:
    """incident-<id>/<file id>-<name as uploaded, without any folder>."""
    base = PurePosixPath(file["original_name"].replace("\\", "/")).name
    base = NOT_IN_NAMES.sub("", base).strip(". ") or "file"
    return f"incident-{file['incident']}/{file['pk']}-{base}"


def write_zip(files: list[dict], out: BinaryIO) -> dict:
    """Writes the files (the export's manifest rows) into a ZIP in `out`; how many were written,
    and how many were missing from storage or no longer match their recorded SHA-256."""
    written = missing = changed = 0
    sums = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for file in files:
            name = name_in_zip(file)
            if not default_storage.exists(file["stored_name"]):
                missing += 1
                sums.append(f"# missing from storage: {name}")
                continue
            digest = hashlib.sha256()
            with (
                default_storage.open(file["stored_name"], "rb") as source,
                bundle.open(name, "w", force_zip64=True) as target,
            ):
                for chunk in iter(lambda source=source: source.read(1024 * 1024), b""):
                    digest.update(chunk)
                    target.write(chunk)
            changed += digest.hexdigest() != file["sha256"]
            written += 1
            sums.append(f"{file['sha256']}  {name}")
        bundle.writestr("SHA256SUMS", "\n".join(sums) + "\n")
    return {"written": written, "missing": missing, "changed": changed}
