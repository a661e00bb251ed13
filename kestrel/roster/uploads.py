"""The uploaded file between the upload and its preview: encrypted, in the database, in pieces.

The worker that checks the file may run on another machine than the web server that took it, so
the file is kept where both can read it (the database), not on a local disk. It is encrypted with
the field keys (kestrel.encryption), in pieces of CHUNK_BYTES so that neither side ever holds the
whole file in memory, and deleted as soon as the preview has been made from it.
"""

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction

from kestrel.encryption import decrypt, encrypt
from kestrel.roster.models import RosterImport, UploadChunk

CHUNK_BYTES = 1024 * 1024
# A roster of 50,000 students is about 8 MB as CSV and 4 MB as Excel: 64 MB leaves room for a
# trust's largest school while refusing what no roster is.
MAX_BYTES = 64 * 1024 * 1024


class TooLarge(Exception):
    pass


def store(roster_import: RosterImport, source) -> None:
    """Saves the file `source` (an open binary file) as `roster_import`'s encrypted pieces, and
    its size and SHA-256 on the import. Raises TooLarge past MAX_BYTES, having saved nothing."""
    digest = hashlib.sha256()
    size = 0
    pieces = []
    with transaction.atomic():
        for position, piece in enumerate(iter(lambda: source.read(CHUNK_BYTES), b"")):
            size += len(piece)
            if size > MAX_BYTES:
                raise TooLarge
            digest.update(piece)
            pieces.append(
                UploadChunk(roster_import=roster_import, position=position, data=encrypt(piece))
            )
            if len(pieces) == 8:  # a few pieces per INSERT: bounded memory either way
                UploadChunk.objects.bulk_create(pieces)
                pieces = []
        UploadChunk.objects.bulk_create(pieces)
        roster_import.file_size = size
        roster_import.file_sha256 = digest.hexdigest()
        roster_import.save(update_fields=["file_size", "file_sha256"])


@contextmanager
def materialised(roster_import: RosterImport) -> Iterator[Path]:
    """The uploaded file, decrypted into a private temporary file for as long as the block runs
    (openpyxl needs a file it can seek in); the temporary file is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kestrel-roster-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            chunks = UploadChunk.objects.filter(roster_import=roster_import).order_by("position")
            for data in chunks.values_list("data", flat=True).iterator(chunk_size=4):
                out.write(decrypt(data))
        yield path


def discard(roster_import: RosterImport) -> None:
    """Deletes the uploaded file: its preview holds what the import needs from it."""
    UploadChunk.objects.filter(roster_import=roster_import).delete()
