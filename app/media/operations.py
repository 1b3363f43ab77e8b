"""Store files and record them: the one way bytes enter storage."""

import hashlib
import mimetypes
from typing import BinaryIO

from app.extensions import db
from app.media.models import StoredFile
from app.media.storage import get_storage, new_key


class _HashingReader:
    """Hash the bytes as storage reads them, so the file is read once."""

    def __init__(self, fileobj: BinaryIO):
        self.fileobj = fileobj
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.fileobj.read(size)
        self.digest.update(data)
        return data


def store_file(
    fileobj: BinaryIO, filename: str, *, prefix: str, content_type: str | None = None
) -> StoredFile:
    """Stream a file into the configured storage under a fresh key and add its row (flushed)."""
    storage = get_storage()
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    key = new_key(prefix, filename)
    reader = _HashingReader(fileobj)
    size = storage.save(key, reader, content_type=content_type)
    row = StoredFile(
        backend=storage.name,
        key=key,
        filename=filename[:255],
        content_type=content_type,
        size=size,
        sha256=reader.digest.hexdigest(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def delete_stored_file(row: StoredFile) -> None:
    """Delete the bytes and the row."""
    get_storage(row.backend).delete(row.key)
    db.session.delete(row)


def serve_stored_file(row: StoredFile, *, download: bool = False):
    """Return a response for a stored file (Range/HEAD/ETag locally, presigned redirect on S3)."""
    return get_storage(row.backend).serve(
        row.key, mimetype=row.content_type, download_name=row.filename if download else None
    )
