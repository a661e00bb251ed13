"""Files kept encrypted at rest: saved through Django's storage encrypted with the field keys
(kestrel.encryption), a piece at a time (one Fernet token a line), so that neither saving nor
reading ever holds a whole file in memory, and a copy of the storage is no more readable than a
copy of the database. Exports (kestrel.exports.storage) and training certificates
(kestrel.training) are kept this way."""

import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage

from kestrel.encryption import decrypt, encrypt

PIECE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    name: str
    size: int  # of the file itself, before encryption
    sha256: str  # of the file itself


def store(source: BinaryIO, *, folder: str, suffix: str) -> Stored:
    """Saves the open binary file `source`, encrypted, under a generated name in `folder`."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile(prefix="kestrel-encrypted-") as out:
        for piece in iter(lambda: source.read(PIECE_BYTES), b""):
            size += len(piece)
            digest.update(piece)
            out.write(encrypt(piece).encode("ascii") + b"\n")
        out.seek(0)
        name = default_storage.save(f"{folder}/{uuid.uuid4().hex}{suffix}.fernet", File(out))
    return Stored(name=name, size=size, sha256=digest.hexdigest())


def pieces(name: str) -> Iterator[bytes]:
    """The stored file, decrypted, a piece at a time."""
    with default_storage.open(name, "rb") as stored:
        for line in stored:
            if line.strip():
                yield decrypt(line.strip().decode("ascii"))


def delete_all(names) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
