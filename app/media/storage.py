"""Where files live: a tiny interface with a local-disk and an S3 (boto3) backend.

Keys are never reused for different content: ``new_key`` puts a random component in every key,
so a URL built from a key never changes meaning and caches can keep it forever.
"""

import os
import re
import tempfile
import unicodedata
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

from flask import current_app, redirect, send_file

CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    """A storage operation failed (missing object, bad key, backend error)."""


def safe_filename(name: str, default: str = "fichier") -> str:
    """Return an ASCII file name without path parts, keeping the extension."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return name[:120] or default


def new_key(prefix: str, filename: str) -> str:
    """Return a fresh key under prefix; the random part guarantees it was never used before."""
    return f"{prefix.strip('/')}/{uuid.uuid4().hex}/{safe_filename(filename)}"


class ObjectInfo(NamedTuple):
    """One stored object as a listing sees it."""

    key: str
    size: int
    modified_dt: datetime  #: last write, timezone-aware UTC


def _check_key(key: str) -> str:
    if not key or "\\" in key or any(p in ("..", ".", "") for p in key.split("/")):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


class Storage(ABC):
    """The operations every backend offers."""

    name = "abstract"

    @abstractmethod
    def save(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> int:
        """Stream fileobj to key and return the number of bytes written."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Open key for streaming reads."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete key; deleting a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Tell whether key holds an object."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Return the size of the object in bytes."""

    @abstractmethod
    def list_keys(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object under the folder ``prefix`` (keys starting with ``prefix/``)."""

    @abstractmethod
    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """Yield a local path holding the object's content (ffmpeg, mutagen, pydub need one)."""

    @abstractmethod
    def serve(self, key: str, *, mimetype: str | None = None, download_name: str | None = None):
        """Return a response delivering the object to a browser or podcast app."""

    @abstractmethod
    def healthcheck(self) -> None:
        """Raise if the backend cannot be used."""

    @abstractmethod
    def upload_session(self, upload_id: str, key: str, state: dict | None) -> "UploadSession":
        """Return the appendable upload ``upload_id`` that publishes its bytes at ``key``."""


class LocalStorage(Storage):
    name = "local"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Return the file path of key (it may not exist)."""
        return self.root / _check_key(key)

    def save(self, key, fileobj, *, content_type=None):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: readers never see a half-written file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := fileobj.read(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written

    def save_path(self, key: str, source: str | os.PathLike, *, move: bool = False) -> int:
        """Store a local file under key (moved when possible, else copied)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.replace(source, target)
                return target.stat().st_size
            except OSError:
                pass  # another filesystem: copy below
        with open(source, "rb") as fh:
            return self.save(key, fh)

    def open(self, key):
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no object at {key!r}") from exc

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def exists(self, key):
        return self.path(key).is_file()

    def size(self, key):
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as exc:
            raise StorageError(f"no object at {key!r}") from exc

    def list_keys(self, prefix):
        folder = self.path(prefix.strip("/"))
        # Sorted walk: listings come out in key order, like S3's. Hidden names are the
        # temporary files of writes in progress (".part-…", ".uploads"), not objects.
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted since the walk listed it
                    continue
                yield ObjectInfo(
                    key=path.relative_to(self.root).as_posix(),
                    size=stat.st_size,
                    modified_dt=datetime.fromtimestamp(stat.st_mtime, UTC),
                )

    @contextmanager
    def local_path(self, key):
        path = self.path(key)
        if not path.is_file():
            raise StorageError(f"no object at {key!r}")
        yield path

    def serve(self, key, *, mimetype=None, download_name=None):
        path = self.path(key)
        if not path.is_file():
            from werkzeug.exceptions import NotFound

            raise NotFound()
        # conditional=True gives Range (206/416), HEAD, ETag and Last-Modified handling.
        return send_file(
            path,
            mimetype=mimetype,
            conditional=True,
            etag=True,
            download_name=download_name,
            max_age=365 * 24 * 3600,  # keys never change content
        )

    def healthcheck(self):
        self.root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=self.root, prefix=".health-")
        os.close(fd)
        os.unlink(probe)

    def upload_session(self, upload_id, key, state):
        return LocalUploadSession(self, upload_id, key, state)


class S3Storage(Storage):
    name = "s3"

    def __init__(self, conf: dict):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = conf["bucket"]
        self.prefix = (conf.get("prefix") or "").strip("/")
        self.presign_expiry = int(conf.get("presign_expiry") or 3600)
        #: Where resumable uploads buffer their next S3 part (shared by the web processes).
        self.buffer_dir = Path(
            conf.get("upload_buffer_dir")
            or Path(tempfile.gettempdir()) / "circuits-courts-upload-buffers"
        )
        self.client = boto3.client(
            "s3",
            endpoint_url=conf.get("endpoint_url"),
            region_name=conf.get("region"),
            aws_access_key_id=conf.get("access_key_id"),
            aws_secret_access_key=conf.get("secret_access_key"),
            config=Config(
                signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}
            ),
        )
        self.threshold = int(conf["multipart_threshold"])
        self.chunksize = max(int(conf["multipart_chunksize"]), 5 * 1024 * 1024)  # S3's minimum
        # Used for downloads to a local file.
        self.transfer = TransferConfig(
            multipart_threshold=int(conf["multipart_threshold"]),
            multipart_chunksize=int(conf["multipart_chunksize"]),
            max_concurrency=2,
            use_threads=True,
        )

    def object_key(self, key: str) -> str:
        """Return the bucket key for a storage key."""
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, key, fileobj, *, content_type=None):
        # One chunk in memory at a time: a single PUT below the threshold, multipart above it.
        # (boto3's upload_fileobj buffers up to ten chunks of a non-seekable stream.)
        object_key = self.object_key(key)
        extra = {"ContentType": content_type} if content_type else {}
        first = _read_exactly(fileobj, self.threshold)
        if len(first) < self.threshold:
            self.client.put_object(Bucket=self.bucket, Key=object_key, Body=first, **extra)
            return len(first)
        upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=object_key, **extra
        )["UploadId"]
        parts, total, chunk = [], 0, first
        try:
            while chunk:
                number = len(parts) + 1
                etag = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=object_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk,
                )["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
                total += len(chunk)
                chunk = _read_exactly(fileobj, self.chunksize)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=object_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # Nothing half-written stays behind: S3 discards the parts.
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=object_key, UploadId=upload_id
            )
            raise
        return total

    def open(self, key):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
        except ClientError as exc:
            raise StorageError(f"no object at {key!r}") from exc

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def _head(self, key):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key):
        return self._head(key) is not None

    def size(self, key):
        head = self._head(key)
        if head is None:
            raise StorageError(f"no object at {key!r}")
        return int(head["ContentLength"])

    def list_keys(self, prefix):
        folder = self.object_key(prefix.strip("/")) + "/"
        strip = len(self.prefix) + 1 if self.prefix else 0  # back to storage keys
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder
        )
        for page in pages:
            for item in page.get("Contents", ()):
                yield ObjectInfo(
                    key=item["Key"][strip:],
                    size=int(item["Size"]),
                    modified_dt=item["LastModified"].astimezone(UTC),
                )

    @contextmanager
    def local_path(self, key):
        suffix = PurePosixPath(key).suffix
        fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="s3-")
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self.object_key(key), tmp, Config=self.transfer)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def presigned_url(self, key, *, mimetype=None, download_name=None, expires=None) -> str:
        """Return a fresh, expiring GET URL for the object."""
        params = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if mimetype:
            params["ResponseContentType"] = mimetype
        if download_name:
            params["ResponseContentDisposition"] = (
                f'attachment; filename="{safe_filename(download_name)}"'
            )
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires or self.presign_expiry
        )

    def serve(self, key, *, mimetype=None, download_name=None):
        # A fresh presigned URL each time; the object store handles Range and HEAD itself.
        response = redirect(
            self.presigned_url(key, mimetype=mimetype, download_name=download_name), code=302
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def healthcheck(self):
        self.client.head_bucket(Bucket=self.bucket)

    def upload_session(self, upload_id, key, state):
        return S3UploadSession(self, upload_id, key, state)


class UploadSession(ABC):
    """The bytes of one resumable upload, appended over several requests, published at the end.

    ``state`` is JSON the caller keeps with the upload (backend bookkeeping); bytes go to disk or
    to the object store in fixed-size pieces, so memory stays flat whatever the upload size.
    """

    def __init__(self, storage: Storage, upload_id: str, key: str, state: dict | None):
        if not re.fullmatch(r"[0-9a-f]{8,64}", upload_id):
            raise StorageError(f"invalid upload id: {upload_id!r}")
        self.storage = storage
        self.upload_id = upload_id
        self.key = _check_key(key)
        self.state = dict(state or {})

    @abstractmethod
    def size(self) -> int:
        """Return how many bytes the upload durably holds."""

    @abstractmethod
    def append(self, chunks, *, flush: bool = True) -> int:
        """Append an iterable of byte chunks; return how many bytes were appended."""

    @abstractmethod
    def truncate(self, size: int) -> None:
        """Forget the bytes after ``size`` (a rejected chunk, or leftovers of a crashed request)."""

    def commit(self) -> None:  # noqa: B027 - local appends are durable as written
        """Make appended bytes durable in the backend (S3: send full parts)."""

    @abstractmethod
    def read_all(self):
        """Yield the bytes received so far, in chunks (used to checksum a finished upload)."""

    @abstractmethod
    def complete(self, *, content_type: str | None = None) -> None:
        """Publish the bytes at ``key``; the session is then finished."""

    @abstractmethod
    def abort(self) -> None:
        """Drop everything received."""


class LocalUploadSession(UploadSession):
    """Append to a hidden part file inside the media root; complete = rename (same filesystem)."""

    @property
    def part_path(self) -> Path:
        return self.storage.root / ".uploads" / f"{self.upload_id}.part"

    def size(self):
        try:
            return self.part_path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, chunks, *, flush=True):
        self.part_path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with self.part_path.open("ab") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
        return written

    def truncate(self, size):
        if self.part_path.exists():
            os.truncate(self.part_path, size)

    def read_all(self):
        if not self.part_path.exists():
            return
        with self.part_path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def complete(self, *, content_type=None):
        target = self.storage.path(self.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.part_path.exists():
            self.part_path.parent.mkdir(parents=True, exist_ok=True)
            self.part_path.touch()
        os.replace(self.part_path, target)

    def abort(self):
        self.part_path.unlink(missing_ok=True)


class S3UploadSession(UploadSession):
    """An S3 multipart upload fed from a small on-disk buffer.

    Clients send chunks of any size but S3 parts must be at least 5 MiB (except the last), so
    bytes wait in a local buffer file until a full part is there; the part is then read back in
    one piece of ``chunksize`` bytes (the only memory used) and sent with upload_part.
    """

    @property
    def buffer_path(self) -> Path:
        return self.storage.buffer_dir / f"{self.upload_id}.buf"

    def _buffered(self) -> int:
        try:
            return self.buffer_path.stat().st_size
        except FileNotFoundError:
            return 0

    def size(self):
        return int(self.state.get("stored", 0)) + self._buffered()

    def append(self, chunks, *, flush=True):
        self.buffer_path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with self.buffer_path.open("ab") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
                if flush and out.tell() >= self.storage.chunksize:
                    out.flush()
                    self._send_parts(final=False)
                    out.seek(0, os.SEEK_END)  # the buffer was rewritten: append at its new end
        return written

    def truncate(self, size):
        stored = int(self.state.get("stored", 0))
        if size < stored:
            raise StorageError("cannot truncate bytes already sent to S3")
        if self.buffer_path.exists():
            os.truncate(self.buffer_path, size - stored)

    def commit(self):
        self._send_parts(final=False)

    def _object_key(self) -> str:
        return self.storage.object_key(self.key)

    def _send_parts(self, *, final: bool) -> None:
        size = self._buffered()
        part_size = self.storage.chunksize
        if size == 0 or (size < part_size and not final):
            return
        client, bucket = self.storage.client, self.storage.bucket
        if not self.state.get("upload_id"):
            self.state["upload_id"] = client.create_multipart_upload(
                Bucket=bucket, Key=self._object_key()
            )["UploadId"]
            self.state["parts"] = []
        parts = self.state.setdefault("parts", [])
        with self.buffer_path.open("rb") as fh:
            while True:
                start = fh.tell()
                if size - start < part_size and not (final and size > start):
                    break
                body = fh.read(part_size)
                number = len(parts) + 1
                etag = client.upload_part(
                    Bucket=bucket,
                    Key=self._object_key(),
                    UploadId=self.state["upload_id"],
                    PartNumber=number,
                    Body=body,
                )["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
                self.state["stored"] = int(self.state.get("stored", 0)) + len(body)
            rest = fh.read()  # under one part: kept for the next request
        with self.buffer_path.open("wb") as out:
            out.write(rest)

    def read_all(self):
        if self.state.get("completed"):
            body = self.storage.open(self.key)
            try:
                while chunk := body.read(CHUNK):
                    yield chunk
            finally:
                body.close()
            return
        raise StorageError("an S3 upload can only be read back once completed")

    def complete(self, *, content_type=None):
        client, bucket = self.storage.client, self.storage.bucket
        if not self.state.get("upload_id"):
            # Under one part in total: a single PUT.
            with self.buffer_path.open("rb") if self.buffer_path.exists() else _empty() as fh:
                extra = {"ContentType": content_type} if content_type else {}
                client.put_object(Bucket=bucket, Key=self._object_key(), Body=fh.read(), **extra)
        else:
            self._send_parts(final=True)
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=self._object_key(),
                UploadId=self.state["upload_id"],
                MultipartUpload={"Parts": self.state["parts"]},
            )
        self.state["completed"] = True
        self.buffer_path.unlink(missing_ok=True)

    def abort(self):
        if self.state.get("upload_id") and not self.state.get("completed"):
            self.storage.client.abort_multipart_upload(
                Bucket=self.storage.bucket,
                Key=self._object_key(),
                UploadId=self.state["upload_id"],
            )
        self.buffer_path.unlink(missing_ok=True)


@contextmanager
def _empty():
    import io

    yield io.BytesIO(b"")


def _read_exactly(fileobj, size: int) -> bytes:
    """Read size bytes unless the stream ends first (streams may return short reads)."""
    buf = bytearray()
    while len(buf) < size:
        data = fileobj.read(size - len(buf))
        if not data:
            break
        buf += data
    return bytes(buf)


def build_storage(conf: dict, backend: str | None = None) -> Storage:
    """Build a storage backend from a STORAGE config mapping."""
    backend = backend or conf["backend"]
    if backend == "local":
        return LocalStorage(conf["root"])
    if backend == "s3":
        return S3Storage(conf)
    raise StorageError(f"unknown storage backend {backend!r} (expected 'local' or 's3')")


def get_storage(backend: str | None = None) -> Storage:
    """Return the app's storage backend (the configured one, or a named one for old rows)."""
    cache = current_app.extensions.setdefault("storage", {})
    name = backend or current_app.config["STORAGE"]["backend"]
    if name not in cache:
        cache[name] = build_storage(current_app.config["STORAGE"], name)
    return cache[name]
