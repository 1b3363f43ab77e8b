"""Delete renditions that a reprocess or an edit replaced, once nobody can still be using them.

A URL never changes content: a new run publishes new keys and the old renditions stop being
current but stay online for ``MEDIA["replaced_retention_s"]`` (a player opened yesterday, a
podcast app holding the previous feed). After that the sweeper removes them, rows first (one
commit), files second: a crash in between leaves an orphan file, never a row without its file.

Kept whatever their age: the current renditions, the newest unedited web video (the montage
cuts from it), and any file another feature's row still points to.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.core.db import utcnow
from app.extensions import db
from app.media.models import MediaAsset, Rendition, RenditionKind, StoredFile
from app.media.storage import get_storage

log = logging.getLogger(__name__)


def replaced_dt(rendition: Rendition) -> datetime | None:
    """When a newer rendition of the same asset took over (of the same kind, or of any kind
    for a kind that is no longer made, like chapters removed from the outline)."""
    newer = aliased(Rendition)
    base = sa.select(sa.func.min(newer.created_dt)).where(
        newer.asset_id == rendition.asset_id, newer.id > rendition.id
    )
    return db.session.scalar(base.where(newer.kind == rendition.kind)) or db.session.scalar(base)


def _referenced_elsewhere(file_id: int) -> bool:
    """Tell whether a row other than a rendition points to this stored file."""
    stored = StoredFile.__table__
    for table in db.metadata.tables.values():
        if table is Rendition.__table__:
            continue
        for fk in table.foreign_keys:
            if fk.column is stored.c.id:
                query = sa.select(sa.literal(1)).where(fk.parent == file_id).limit(1)
                if db.session.execute(query).first() is not None:
                    return True
    return False


def prunable_renditions(*, retention: timedelta, now: datetime | None = None, limit: int = 200):
    """Return the replaced renditions older than ``retention`` that can go."""
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(Rendition)
        .where(Rendition.is_current.is_(False))
        .order_by(Rendition.id)
        .limit(limit)
    ).all()
    prunable = []
    for rendition in candidates:
        replaced = replaced_dt(rendition)
        if replaced is None or replaced > now - retention:
            continue
        asset = db.session.get(MediaAsset, rendition.asset_id)
        if (
            rendition.kind == RenditionKind.WEB_VIDEO
            and asset.base_rendition(RenditionKind.WEB_VIDEO) is rendition
        ):
            continue  # the montage's source
        if _referenced_elsewhere(rendition.file_id):
            continue
        prunable.append(rendition)
    return prunable


def prune_replaced_renditions(
    *, retention: timedelta, now: datetime | None = None, limit: int = 200
) -> int:
    """Delete replaced renditions (rows, then files); commit; return how many went."""
    doomed = prunable_renditions(retention=retention, now=now, limit=limit)
    files = [(r.file.backend, r.file.key) for r in doomed]
    for rendition in doomed:
        stored = rendition.file
        db.session.delete(rendition)
        db.session.flush()
        db.session.delete(stored)
    db.session.commit()
    for backend, key in files:
        try:
            get_storage(backend).delete(key)
        except Exception:  # an orphan file costs space, never correctness: log and go on
            log.warning("could not delete replaced rendition file %s", key, exc_info=True)
    if files:
        log.info("deleted %s replaced renditions", len(files))
    return len(files)
