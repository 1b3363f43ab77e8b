"""Where files live: a tiny interface with a local-disk and an S3 (boto3) backend.

Keys are never reused for different content: ``new_key`` puts a random component in every key,
so a URL built from a key never changes meaning and caches can keep it forever.
"""

import os
from abc import ABC, abstractmethod
import re
import tempfile
import unicodedata
import uuid
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

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
    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """Yield a local file path with the object's content (ffmpeg, mutagen and pydub need one)."""

    @abstractmethod
    def serve(self, key: str, *, mimetype: str | None = None, download_name: str | None = None):
        """Return a response delivering the object to a browser or podcast app."""

    @abstractmethod
    def healthcheck(self) -> None:
        """Raise if the backend cannot be used."""


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


class S3Storage(Storage):
    name = "s3"

    def __init__(self, conf: dict):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = conf["bucket"]
        self.prefix = (conf.get("prefix") or "").strip("/")
        self.presign_expiry = int(conf.get("presign_expiry") or 3600)
        self.client = boto3.client(
            "s3",
            endpoint_url=conf.get("endpoint_url"),
            region_name=conf.get("region"),
            aws_access_key_id=conf.get("access_key_id"),
            aws_secret_access_key=conf.get("secret_access_key"),
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
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
                    Bucket=self.bucket, Key=object_key, UploadId=upload_id,
                    PartNumber=number, Body=chunk,
                )["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
                total += len(chunk)
                chunk = _read_exactly(fileobj, self.chunksize)
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=object_key, UploadId=upload_id,
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

    @contextmanager
    def local_path(self, key):
        suffix = PurePosixPath(key).suffix
        fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="s3-")
        os.close(fd)
        try:
            self.client.download_file(
                self.bucket, self.object_key(key), tmp, Config=self.transfer
            )
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def presigned_url(self, key, *, mimetype=None, download_name=None, expires=None) -> str:
        """Return a fresh, expiring GET URL for the object."""
        params = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if mimetype:
            params["ResponseContentType"] = mimetype
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{safe_filename(download_name)}"'
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

