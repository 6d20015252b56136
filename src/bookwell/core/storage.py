"""Where uploaded files live (listing photos): a small interface and its filesystem
implementation, under the data dir by default (settings.photo_path).

Keys are relative paths of lowercase letters, digits, dots, dashes and slashes, made by the
application (never by a client), checked again here so no key can leave the root. Writes go
to a temporary file renamed into place: a reader sees a whole file or none.

With BOOKWELL_PHOTO_S3_BUCKET set, photos go to an S3-compatible bucket instead
(core/s3_storage.py, the `s3` extra).
"""

import asyncio
import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from bookwell.core.config import Settings
from bookwell.core.storage_keys import valid_key


class PhotoStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing what was there."""

    async def read(self, key: str) -> bytes | None:
        """The bytes under `key`; None when there are none (or the key is not one of ours)."""

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every file under `prefix` (a folder-like key); nothing there is fine."""


class FileStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def read(self, key: str) -> bytes | None:
        if not valid_key(key):
            return None
        path = self.root / key
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    async def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix.rstrip("/"))
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


@functools.cache
def _s3(bucket: str, endpoint_url: str | None, region: str | None, prefix: str) -> PhotoStorage:
    from bookwell.core.s3_storage import S3Storage

    return S3Storage(bucket, endpoint_url=endpoint_url, region=region, prefix=prefix)


def photo_storage(settings: Settings) -> PhotoStorage:
    """The bucket when one is configured (one client per configuration and process), else
    the folder."""
    if settings.photo_s3_bucket:
        return _s3(
            settings.photo_s3_bucket,
            settings.photo_s3_endpoint_url,
            settings.photo_s3_region,
            settings.photo_s3_prefix,
        )
    return FileStorage(settings.photo_path)
