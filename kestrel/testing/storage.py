"""A storage for tests that behaves as an object store (S3 and the like) does: files are kept, but
there is no local path to any of them."""

import os

from django.core.files.storage import InMemoryStorage, Storage
from django.utils._os import safe_join


class StorageWithNoPath(InMemoryStorage):
    """Django's InMemoryStorage answers `path()` with a path under MEDIA_ROOT where nothing is;
    an object store has no `path()` at all (Storage's own raises NotImplementedError), and
    neither has this, so code that reaches a kept file by path fails at once."""

    path = Storage.path

    def _relative_path(self, name):
        # InMemoryStorage names its tree's nodes through path(); this does it without.
        return os.path.relpath(safe_join(self.location, name), self.location)
