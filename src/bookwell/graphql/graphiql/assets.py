"""GraphiQL's files on this machine: the pinned npm tarballs (pins.py) are downloaded once,
checked against their pinned sha512 before anything is unpacked, and only the files the page
needs are kept, in `<folder>/<name>@<version>/`. Later starts read that folder: no network.

A package's folder appears whole or not at all: its files are written to a temporary folder
beside it, checked against their pinned sha384, and renamed into place; another process
that got there first wins. Within a process one download runs at a time, whoever asks.
"""

import asyncio
import base64
import gzip
import hashlib
import hmac
import io
import logging
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from bookwell.graphql.graphiql.pins import PACKAGES, Package

log = logging.getLogger(__name__)

NPM_REGISTRY = "https://registry.npmjs.org"
# The pinned tarballs are 0.1 to 6 MB; anything far larger is not one of them.
MAX_TARBALL_BYTES = 64 * 1024 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}


class AssetsUnavailable(Exception):
    """The files are not in the cache and could not be put there."""


class IntegrityError(AssetsUnavailable):
    """What was downloaded is not what was pinned."""


@dataclass(frozen=True)
class Asset:
    """A file as served: its bytes, gzipped once, and its media type."""

    body: bytes
    gzipped: bytes
    media_type: str

    @classmethod
    def of(cls, name: str, body: bytes) -> "Asset":
        media_type = MEDIA_TYPES[PurePosixPath(name).suffix]
        return cls(body=body, gzipped=gzip.compress(body, 6, mtime=0), media_type=media_type)


def served_paths(packages: tuple[Package, ...] = PACKAGES) -> dict[str, tuple[Package, str]]:
    """Path under /graphiql/ -> (package, path inside its tarball)."""
    return {
        f"{package.folder}/{PurePosixPath(member).name}": (package, member)
        for package in packages
        for member in package.files
    }


def sri(data: bytes, algorithm: str) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def _matches(data: bytes, pinned: str) -> bool:
    algorithm = pinned.partition("-")[0]
    return hmac.compare_digest(sri(data, algorithm), pinned)


class AssetCache:
    """The pinned files in `folder`, downloaded into it from `registry` on first use."""

    def __init__(
        self,
        folder: Path,
        registry: str = NPM_REGISTRY,
        *,
        packages: tuple[Package, ...] = PACKAGES,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_seconds: float = 30.0,
    ):
        self.folder = folder
        self.registry = registry
        self.packages = packages
        self.paths = served_paths(packages)
        self.transport = transport
        # After a failed download, askers get None at once for this long (no network wait).
        self.retry_seconds = retry_seconds
        # Why the files are unavailable, after a failed attempt (shown on the 503 page).
        self.problem: str | None = None
        self._assets: dict[str, Asset] | None = None
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()

    async def ensure(self) -> dict[str, Asset] | None:
        """The files by path under /graphiql/: from the cache, downloaded into it first when
        missing. None when they cannot be had (`problem` says why)."""
        if self._assets is not None:
            return self._assets
        async with self._lock:
            if self._assets is not None:
                return self._assets
            recently = self._failed_at is not None and (
                time.monotonic() - self._failed_at < self.retry_seconds
            )
            if recently:
                return None
            try:
                await self.fetch()
                self._assets = await asyncio.to_thread(self._load)
            except AssetsUnavailable as error:
                self.problem = str(error)
                self._failed_at = time.monotonic()
                log.warning(
                    "GraphiQL's files are unavailable (%s): /graphql shows how to get them "
                    "(`bookwell graphiql fetch`)",
                    error,
                )
                return None
            self.problem = self._failed_at = None
            return self._assets

    async def fetch(self) -> list[Package]:
        """Download the packages the cache lacks; the ones downloaded. Raises
        AssetsUnavailable (IntegrityError for a tarball that is not the pinned one)."""
        missing = await asyncio.to_thread(self._missing)
        if not missing:
            return []
        async with httpx.AsyncClient(
            transport=self.transport, timeout=TIMEOUT, follow_redirects=True
        ) as http:
            try:
                async with asyncio.TaskGroup() as group:
                    for package in missing:
                        group.create_task(self._download(http, package))
            except ExceptionGroup as errors:
                raise errors.exceptions[0] from None
        return missing

    async def _download(self, http: httpx.AsyncClient, package: Package) -> None:
        url = package.tarball_url(self.registry)
        log.info("downloading %s", url)
        chunks, size = [], 0
        try:
            async with http.stream("GET", url) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_TARBALL_BYTES:
                        raise AssetsUnavailable(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as error:
            raise AssetsUnavailable(
                f"could not download {url} ({type(error).__name__}: {error})"
            ) from error
        await asyncio.to_thread(self._unpack, package, url, b"".join(chunks))

    def _unpack(self, package: Package, url: str, tarball: bytes) -> None:
        """Check the whole tarball, then write its needed files and rename them into place."""
        actual = sri(tarball, "sha512")
        if not hmac.compare_digest(actual, package.integrity):
            log.error(
                "refused %s from %s: its hash is %s, not the pinned %s; nothing was unpacked "
                "or cached",
                package.folder,
                url,
                actual,
                package.integrity,
            )
            raise IntegrityError(
                f"{url} does not match the pinned sha512 of {package.folder}: refused"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{package.folder}-", dir=self.folder))
        try:
            with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
                for member, pinned in package.files.items():
                    data = _read_member(tar, member, package)
                    if not _matches(data, pinned):
                        raise IntegrityError(f"{member} of {package.folder} is not the pinned file")
                    (temporary / PurePosixPath(member).name).write_bytes(data)
            temporary.chmod(0o755)  # mkdtemp's 0700 would hide it from another user
            try:
                temporary.rename(self.folder / package.folder)
            except OSError:
                if self._read(package) is None:
                    raise
                # Another process renamed the same files into place first.
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        log.info("cached %s in %s", package.folder, self.folder / package.folder)

    def _read(self, package: Package) -> dict[str, bytes] | None:
        """A cached package's files by name, or None unless every one is there as pinned."""
        found = {}
        for member, pinned in package.files.items():
            name = PurePosixPath(member).name
            try:
                data = (self.folder / package.folder / name).read_bytes()
            except OSError:
                return None
            if not _matches(data, pinned):
                return None
            found[name] = data
        return found

    def _missing(self) -> list[Package]:
        missing = []
        for package in self.packages:
            if self._read(package) is not None:
                continue
            damaged = self.folder / package.folder
            if damaged.exists():
                log.warning("%s in the cache is damaged: fetching it again", damaged)
                try:
                    aside = Path(tempfile.mkdtemp(prefix=".damaged-", dir=self.folder))
                    damaged.rename(aside / package.folder)
                    shutil.rmtree(aside)
                except OSError as error:
                    raise AssetsUnavailable(f"cannot replace {package.folder}: {error}") from None
            missing.append(package)
        return missing

    def _load(self) -> dict[str, Asset]:
        assets = {}
        for package in self.packages:
            files = self._read(package)
            if files is None:
                raise AssetsUnavailable(f"{package.folder} is not in the cache")
            for name, data in files.items():
                assets[f"{package.folder}/{name}"] = Asset.of(name, data)
        return assets


def _read_member(tar: tarfile.TarFile, member: str, package: Package) -> bytes:
    try:
        info = tar.getmember(member)
    except KeyError:
        raise IntegrityError(f"{package.folder}'s tarball has no {member}") from None
    extracted = tar.extractfile(info) if info.isfile() else None
    if extracted is None:
        raise IntegrityError(f"{member} in {package.folder}'s tarball is not a file")
    with extracted:
        return extracted.read()
