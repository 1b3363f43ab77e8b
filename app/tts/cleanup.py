"""Prune the section audio cache: delete the entries no guide's edition uses, once they are old.

Section WAVs are cached by content hash (app/tts/cache.py) so that a regeneration synthesises
only the sections whose text changed; the entries of the old text stay behind. The daily
``tts.prune_section_cache`` deletes an entry when both hold:

- no edition's audio online is made of it: ``build_info["section_hashes"]`` lists every section
  of the last successful build (an edition whose regeneration failed keeps its older audio and
  that build's list);
- it was written more than ``TTS_SECTION_CACHE_GRACE_DAYS`` ago, so the sections of a failed or
  cancelled generation wait for its retry, and a guide whose edit is undone soon finds its audio.

Editions built before ``section_hashes`` was recorded: their hashes are derived again from the
revision they were made from, with the engine id and voice they record, by the function the build
used (``iter_sections``). That is exactly what a regeneration of that text by that engine could
reuse; if the text rules changed since, the old entries can never be hit again anyway. When the
revision is gone the hashes cannot be known: nothing is deleted and a warning names the edition
(regenerating it records its list).

Nothing is deleted either while a generation is queued or running: its hashes are recorded only
when it publishes, and it may be reading an old entry no edition uses (a guide put back to an
earlier text). Storage is listed first, the database read second, files deleted last, so a
generation that finishes during the listing is seen; one that starts during the deletions and
reads an entry being deleted fails with a storage error, and "Relancer" synthesises it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Resource, Revision
from app.media.models import JobState, ProcessingJob
from app.media.storage import get_storage
from app.tts.cache import SectionCache
from app.tts.models import GuideEdition
from app.tts.operations import JOB_TYPE
from app.tts.text import EmptyGuide, iter_sections

log = logging.getLogger(__name__)


def grace_period() -> timedelta:
    """Return how long an unused cache entry is kept after it was written."""
    return timedelta(days=float(current_app.config["TTS_SECTION_CACHE_GRACE_DAYS"]))


def generations_in_flight() -> int:
    """Return how many audio-edition jobs are queued or running."""
    return db.session.scalar(
        sa.select(sa.func.count(ProcessingJob.id)).where(
            ProcessingJob.job_type == JOB_TYPE,
            ProcessingJob.state.in_([JobState.QUEUED, JobState.RUNNING]),
        )
    )


def edition_section_hashes(edition: GuideEdition) -> set[str] | None:
    """Return the section hashes of an edition's audio online, or None if they cannot be known."""
    info = edition.build_info
    if not info:
        return set()  # never built: no audio online, nothing used
    if "section_hashes" in info:
        return set(info["section_hashes"])
    # Built before the list was recorded: derive it from what the edition was made from.
    revision = db.session.get(Revision, edition.revision_id) if edition.revision_id else None
    if revision is None or not edition.engine_id or not edition.voice:
        return None
    resource = db.session.get(Resource, revision.resource_id)
    title = revision.title or (resource.title if resource is not None else "")
    try:
        sections = iter_sections(
            revision.body or "", title, engine_id=edition.engine_id, voice=edition.voice
        )
        derived = {section.content_hash for section in sections}
    except EmptyGuide:
        derived = set()
    return derived | set(info.get("synthesized") or ())


def used_section_hashes() -> set[str] | None:
    """Return every section hash an edition's audio online uses, or None if one is unknown."""
    used: set[str] = set()
    for edition in db.session.scalars(sa.select(GuideEdition).order_by(GuideEdition.id)):
        hashes = edition_section_hashes(edition)
        if hashes is None:
            log.warning(
                "edition %s: its section hashes are unknown (revision gone); regenerate it "
                "so the section cache can be pruned",
                edition.id,
            )
            return None
        used |= hashes
    return used


def prune_section_cache(
    *, grace: timedelta | None = None, now: datetime | None = None
) -> dict[str, int | str]:
    """Delete cached sections no edition uses and written before the grace period; report."""
    grace = grace_period() if grace is None else grace
    written_before = (now or utcnow()) - grace
    report: dict[str, int | str] = {"listed": 0, "stale": 0, "deleted": 0, "freed_bytes": 0}
    with SectionCache(get_storage()) as cache:
        stale = []
        for entry in cache.entries():
            report["listed"] += 1
            if entry.modified_dt < written_before:
                stale.append(entry)
        report["stale"] = len(stale)
        if not stale:
            return report
        if in_flight := generations_in_flight():
            log.info("section cache: %s generation(s) in flight, nothing pruned", in_flight)
            report["skipped"] = "generation in flight"
            return report
        used = used_section_hashes()
        # Read-only: end the transaction now rather than hold it while files are deleted.
        db.session.rollback()
        if used is None:
            report["skipped"] = "edition with unknown sections"
            return report
        for entry in stale:
            if entry.content_hash in used:
                continue
            cache.discard(entry.content_hash)
            report["deleted"] += 1
            report["freed_bytes"] += entry.size
    log.info(
        "section cache: %(deleted)s of %(listed)s entries deleted (%(freed_bytes)s bytes)", report
    )
    return report
