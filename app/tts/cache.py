"""Cache of synthesised section audio, keyed by the section's content hash.

The cache sits on any object with the project storage's methods (``save``, ``open``, ``exists``,
``local_path``, and ``list_keys`` and ``delete`` for pruning), so it runs on local disk or S3 alike.
``DirectoryStorage`` is the smallest such object, for tests and for running the text-to-speech
layer on its own. Which entries may go is the feature's business (app/tts/cleanup.py).
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

#: Bump the version when the stored audio format changes, so old entries are never reused.
DEFAULT_PREFIX = "tts/sections/v1"
_HASH_RE = re.compile(r"[0-9a-f]{16,128}")


class Listed(NamedTuple):
    """An object of a listing, shaped like ``app.media.storage.ObjectInfo``."""

    key: str
    size: int
    modified_dt: datetime


class CacheEntry(NamedTuple):
    """A cached section audio file."""

    content_hash: str
    size: int
    modified_dt: datetime  #: when it was last written (timezone-aware UTC)


class StorageLike(Protocol):
    """The part of ``app.media.storage.Storage`` the cache needs."""

    def save(self, key: str, fileobj: BinaryIO) -> object: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]: ...

    def list_keys(self, prefix: str) -> Iterable[Listed]: ...

    def delete(self, key: str) -> None: ...


class DirectoryStorage:
    """Files under one directory, with the storage interface the cache expects."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"invalid key: {key!r}")
        return self.root / key

    def save(self, key: str, fileobj: BinaryIO) -> int:
        """Copy fileobj to key through a temporary file, so readers never see half a file."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(fileobj, out, 1024 * 1024)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        """Open key for reading."""
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        """Tell whether key holds a file."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Delete key; a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> Iterator[Listed]:
        """Yield the files under the folder prefix, skipping partial writes (hidden names)."""
        folder = self._path(prefix.strip("/"))
        for path in sorted(folder.rglob("*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            stat = path.stat()
            yield Listed(
                path.relative_to(self.root).as_posix(),
                stat.st_size,
                datetime.fromtimestamp(stat.st_mtime, UTC),
            )

    @contextmanager
    def local_path(self, key: str):
        """Yield the file's own path: it is already local."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path


class SectionCache:
    """Section WAVs by content hash; paths from ``get`` stay valid until ``close``."""

    def __init__(self, storage: StorageLike, prefix: str = DEFAULT_PREFIX) -> None:
        self.storage = storage
        self.prefix = prefix.strip("/")
        # On S3, local_path downloads to a temporary file that lives as long as its context.
        self._open_paths = ExitStack()

    @classmethod
    def in_directory(cls, root: str | os.PathLike) -> "SectionCache":
        """Return a cache stored under a local directory."""
        return cls(DirectoryStorage(root))

    def key(self, content_hash: str) -> str:
        """Return the storage key of a section's audio."""
        if not _HASH_RE.fullmatch(content_hash):
            raise ValueError(f"not a content hash: {content_hash!r}")
        return f"{self.prefix}/{content_hash[:2]}/{content_hash}.wav"

    def hash_of(self, key: str) -> str | None:
        """Return the content hash stored at key, or None if key is not a cache entry."""
        content_hash = key.rpartition("/")[2].removesuffix(".wav")
        if _HASH_RE.fullmatch(content_hash) and key == self.key(content_hash):
            return content_hash
        return None

    def entries(self) -> Iterator[CacheEntry]:
        """Yield every cached section (other files under the prefix are not the cache's)."""
        for listed in self.storage.list_keys(self.prefix):
            content_hash = self.hash_of(listed.key)
            if content_hash is not None:
                yield CacheEntry(content_hash, listed.size, listed.modified_dt)

    def discard(self, content_hash: str) -> None:
        """Delete a section's cached audio (missing already is fine)."""
        self.storage.delete(self.key(content_hash))

    def get(self, content_hash: str) -> Path | None:
        """Return a local path to the cached audio, or None on a miss."""
        key = self.key(content_hash)
        if not self.storage.exists(key):
            return None
        return self._open_paths.enter_context(self.storage.local_path(key))

    def put(self, content_hash: str, wav_path: str | os.PathLike) -> None:
        """Store a section's audio under its hash."""
        with open(wav_path, "rb") as fileobj:
            self.storage.save(self.key(content_hash), fileobj)

    def close(self) -> None:
        """Release the local copies handed out by ``get``."""
        self._open_paths.close()

    def __enter__(self) -> "SectionCache":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
