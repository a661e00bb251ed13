"""An export's files at rest: encrypted with the field keys, a piece at a time
(kestrel.files.encrypted), in the exports folder."""

from typing import BinaryIO

from kestrel.files.encrypted import PIECE_BYTES, Stored, delete_all, pieces
from kestrel.files.encrypted import store as store_encrypted

FOLDER = "exports"

__all__ = ["FOLDER", "PIECE_BYTES", "Stored", "delete_all", "pieces", "store"]


def store(source: BinaryIO, *, suffix: str) -> Stored:
    """Saves the open binary file `source`, encrypted, under a generated name."""
    return store_encrypted(source, folder=FOLDER, suffix=suffix)
