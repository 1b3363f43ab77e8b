"""Demo: every published guide gets its audio edition, generated in-process (espeak-ng, ffmpeg).

Runs after the library's loader; safe to run twice (a guide whose audio speaks its current text
is skipped). Without media (``--no-media``) nothing is generated.
"""

import sqlalchemy as sa

from app.extensions import db
from app.library.models import Resource, ResourceKind, ResourceStatus
from app.tts import operations, pipeline
from app.tts.engines import EngineUnavailable


def load(ctx) -> None:
    if not ctx.with_media:
        return
    guides = db.session.scalars(
        sa.select(Resource)
        .where(
            Resource.kind == ResourceKind.GUIDE,
            Resource.status == ResourceStatus.PUBLISHED,
            Resource.published_revision_id.is_not(None),
        )
        .order_by(Resource.id)
    ).all()
    for resource in guides:
        try:
            job = operations.request_edition(resource, force=False, enqueue=False)
        except operations.EditionError as exc:
            ctx.log(f"tts: {resource.slug}: {exc}")
            continue
        if job is None:
            continue  # its audio already speaks the current text
        db.session.commit()
        try:
            pipeline.run_job(job.id)
        except EngineUnavailable as exc:
            ctx.log(f"tts: {exc}")
            return
        ctx.log(f"tts: audio edition of « {resource.title} » ready")
