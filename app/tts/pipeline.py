"""Generate a guide's audio edition: the state machine of a "tts" job, run by ``tts.generate``.

``run_job(job_id)`` loads the job, marks it running (committed), then, with no transaction open:
synthesis of every section missing from the cache and assembly (``build_edition``) → loudness
normalisation and MP3 (``make_audio_edition``, measured on the encoded file) → ID3 tags with
CHAP/CTOC → JSON chapters, WebVTT/SRT and plain-text transcripts; finally one transaction stores
the files under new keys, makes them the asset's current renditions and marks the job succeeded.
The podcast episode is updated after that, in its own transaction, keeping its GUID.

Sections are synthesised in parallel by a thread pool inside this one task (TTS_WORKERS), not by
a Celery chord of per-section tasks: a chord needs a result backend, which this project does not
run (job rows are the source of truth, results are ignored) and which the embedded filesystem
broker cannot provide; each engine run is its own process, so threads parallelise fully, and a
redelivered job finds the sections already done in the cache (keyed by content hash).
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.library.models import Resource, Revision
from app.media.audio import AudioEditionError, make_audio_edition
from app.media.chapters import (
    JSON_CHAPTERS_MIMETYPE,
    Chapter,
    build_chapters_json,
    with_end_times,
)
from app.media.models import AssetStatus, JobState, ProcessingJob, Rendition, RenditionKind
from app.media.operations import store_file
from app.media.probe import MediaRejected, probe
from app.media.profiles import PODCAST_MONO
from app.media.runner import FFmpegError, FFmpegTimeout
from app.media.storage import StorageError, get_storage, safe_filename
from app.media.tagging import write_tags
from app.tts.cache import SectionCache
from app.tts.edition import build_edition
from app.tts.engines import EngineUnavailable, SynthesisError, get_engine
from app.tts.models import EditionStatus, GuideEdition
from app.tts.operations import JOB_TYPE, get_edition_by_asset, workers_count
from app.tts.steps import STEP_LABELS, STEP_WEIGHTS
from app.tts.text import SYNTHETIC_VOICE_NOTICE, EmptyGuide
from feeds.transcripts import build_srt, build_webvtt

log = logging.getLogger(__name__)

#: The podcast that publishes every guide's edition.
SHOW_FIELDS = {
    "title": "Guides audio",
    "description": (
        "Les guides opérationnels de la Boîte à outils des circuits courts, en version audio "
        "lue par une voix de synthèse : à écouter sur la route du marché ou aux champs."
    ),
    "kind": "guides",
    "language": "fr",
    "apple_category": "Education",
    "apple_subcategory": "How To",
    "synthetic_voice": True,
}
#: A CTOC frame's entry count is a single byte.
ID3_MAX_CHAPTERS = 255
_FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobCancelled(Exception):
    """The job was cancelled or replaced by a newer generation while it ran."""


@dataclass(frozen=True)
class GuideText:
    """What the job reads from the database before the slow work (no session held during it)."""

    resource_id: int
    revision_id: int
    slug: str
    title: str
    summary: str
    markdown: str
    text_hash: str


@dataclass
class Built:
    """The files of one generation, in the job's scratch directory."""

    mp3: Path
    chapters_json: Path
    vtt: Path
    srt: Path
    transcript: Path
    duration_s: float
    chapters: list[Chapter]
    engine_id: str
    voice: str
    info: dict = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)


class _Tracker:
    """Progress and heartbeat of a running job, written through their own short transactions."""

    def __init__(self, job_id: int, heartbeat_interval_s: float):
        self.job_id = job_id
        self.engine = db.engine
        self.started = time.monotonic()
        self.done = 0.0
        self.current = ""
        self.timings: dict[str, float] = {}
        self.cancelled = False
        self._step_began = self.started
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(heartbeat_interval_s,), daemon=True
        )

    def _update(self, **values) -> None:
        table = ProcessingJob.__table__
        with self.engine.begin() as conn:
            result = conn.execute(
                table.update()
                .where(table.c.id == self.job_id, table.c.state == JobState.RUNNING.value)
                .values(heartbeat_dt=utcnow(), **values)
            )
        if result.rowcount == 0:
            self.cancelled = True  # cancelled, replaced, or failed by the sweeper

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self._update()
            except Exception:  # a missed heartbeat is not worth killing the job
                log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def check(self) -> None:
        """Raise JobCancelled if the job stopped being the running one."""
        if self.cancelled:
            raise JobCancelled(f"job {self.job_id} no longer running")

    def step(self, name: str) -> None:
        """Close the current step (timing it) and record the next one in the job row."""
        now = time.monotonic()
        if self.current:
            self.timings[self.current] = round(now - self._step_began, 3)
            self.done += STEP_WEIGHTS.get(self.current, 0.0)
        self.current, self._step_began = name, now
        self._update(step=name, progress=round(min(0.99, self.done), 4))
        self.check()
        log.info("job %s: step %s", self.job_id, name)

    def finish(self) -> None:
        """Time the last step."""
        if self.current:
            self.timings[self.current] = round(time.monotonic() - self._step_began, 3)

    def on_progress(self, fraction: float, eta: float | None = None) -> None:
        """Map the step's fraction onto the whole job, store it, and stop if cancelled."""
        overall = min(0.99, self.done + STEP_WEIGHTS.get(self.current, 0.0) * fraction)
        elapsed = time.monotonic() - self.started
        eta_total = elapsed * (1 - overall) / overall if overall > 0.02 else None
        try:
            self._update(progress=round(overall, 4), eta_s=eta_total)
        except Exception:
            log.warning("job %s: progress update failed", self.job_id, exc_info=True)
        self.check()


# --------------------------------------------------------------------------- entry point
def run_job(job_id: int, *, worker: str | None = None) -> str:
    """Run a generation job by id and say what happened; failures are recorded, then re-raised."""
    job = db.session.get(ProcessingJob, job_id)
    if job is None or job.job_type != JOB_TYPE:
        log.info("job %s: gone or not a tts job, nothing to do", job_id)
        return "gone"
    if job.state in _FINISHED:
        log.info("job %s: already %s, nothing to do", job_id, job.state)
        return "skipped"
    stale_after = current_app.config["MEDIA"]["heartbeat_stale_s"]
    if job.state == JobState.RUNNING and job.heartbeat_dt is not None:
        silent = (utcnow() - job.heartbeat_dt).total_seconds()
        if silent < stale_after and job.worker != worker:
            log.info("job %s: running on %s, skipped", job_id, job.worker)
            return "skipped"
    edition = get_edition_by_asset(job.asset_id)
    source = _read_guide(job)
    if edition is None or source is None:
        _finish(job, JobState.FAILED, Message("Le guide de cette version audio a été supprimé."))
        return "gone"
    if edition.last_job_id != job.id:
        _finish(job, JobState.CANCELLED, Message("Remplacé par une génération plus récente."))
        return "superseded"
    job.state = JobState.RUNNING
    job.attempts += 1
    job.worker = worker
    job.error = None
    job.started_dt = job.heartbeat_dt = utcnow()
    job.finished_dt = None
    edition.status = EditionStatus.RUNNING
    edition_id = edition.id
    db.session.commit()  # nothing stays open during the slow work

    tracker = _Tracker(job_id, current_app.config["MEDIA"]["heartbeat_interval_s"])
    scratch = current_app.config.get("TTS_WORKDIR")
    if scratch:
        os.makedirs(scratch, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"tts-job{job_id}-", dir=scratch))
    tracker.start()
    try:
        built = _build(source, tracker, workdir)
        tracker.step("publish")
        _publish(job_id, source, built, tracker)
    except JobCancelled:
        log.info("job %s: cancelled while running", job_id)
        db.session.rollback()
        return "cancelled"
    except BaseException as exc:
        tracker.stop()
        _mark_failed(job_id, exc, tracker)
        raise
    finally:
        tracker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    _publish_episode(edition_id)
    return "succeeded"


def _read_guide(job: ProcessingJob) -> GuideText | None:
    params = job.params or {}
    resource = db.session.get(Resource, params.get("resource_id") or 0)
    if resource is None:
        return None
    revision = db.session.get(Revision, params.get("revision_id") or 0)
    if revision is None or revision.resource_id != resource.id:
        revision = resource.published_revision
    if revision is None:
        return None
    return GuideText(
        resource_id=resource.id,
        revision_id=revision.id,
        slug=resource.slug,
        title=revision.title or resource.title,
        summary=revision.summary or resource.summary or "",
        markdown=revision.body or "",
        text_hash=params.get("text_hash") or "",
    )


def _finish(job: ProcessingJob, state: JobState, reason: Message) -> None:
    job.state = state
    job.error = reason
    job.finished_dt = utcnow()
    db.session.commit()


# --------------------------------------------------------------------------- the slow work
def _build(source: GuideText, tracker: _Tracker, workdir: Path) -> Built:
    config = current_app.config
    tracker.step("synthesis")
    engine = get_engine(config)
    expected_chars = max(1, len(source.markdown) + len(source.title))
    spoken = 0
    synthesized = 0

    def on_section(audio) -> None:
        nonlocal spoken, synthesized
        spoken += len(audio.section.text_to_speak)
        synthesized += audio.synthesized
        tracker.on_progress(min(0.95, spoken / expected_chars))

    with SectionCache(get_storage()) as cache:
        edition = build_edition(
            source.markdown,
            source.title,
            engine,
            cache,
            workdir / "sections",
            workdir / "episode.wav",
            max_workers=workers_count(),
            on_section=on_section,
        )
    tracker.step("audio_edition")
    mp3 = workdir / f"{safe_filename(source.slug, 'guide')}.mp3"
    speech_s = edition.duration_ms / 1000
    result = make_audio_edition(
        edition.wav_path,
        mp3,
        PODCAST_MONO,
        duration=speech_s,
        on_progress=tracker.on_progress,
        timeout=600 + 3 * speech_s,
    )
    os.unlink(edition.wav_path)  # the WAV is ten times the MP3: free the disk early
    duration_s = probe(mp3).duration or speech_s
    chapters = with_end_times([c.as_media_chapter() for c in edition.chapters], duration_s)
    write_tags(
        mp3,
        title=source.title,
        duration=duration_s,
        speakers=[f"Voix de synthèse ({engine.name})"],
        series=SHOW_FIELDS["title"],
        date=datetime.date.today(),
        comment=SYNTHETIC_VOICE_NOTICE,
        chapters=id3_chapters(chapters, duration_s),
    )
    # The MP3 runs a few milliseconds past the WAV (encoder padding): the last cue covers it.
    cues = list(edition.cues)
    if cues and cues[-1].end_s < duration_s:
        cues[-1] = cues[-1]._replace(end_s=duration_s)
    files = {
        "chapters_json": (workdir / "chapters.json", json.dumps(build_chapters_json(chapters))),
        "vtt": (workdir / "transcript.vtt", build_webvtt(cues)),
        "srt": (workdir / "transcript.srt", build_srt(cues)),
        "transcript": (workdir / "transcript.txt", edition.transcript),
    }
    for path, text in files.values():
        path.write_text(text, encoding="utf-8")
    return Built(
        mp3=mp3,
        chapters_json=files["chapters_json"][0],
        vtt=files["vtt"][0],
        srt=files["srt"][0],
        transcript=files["transcript"][0],
        duration_s=duration_s,
        chapters=chapters,
        engine_id=engine.id,
        voice=engine.voice,
        info={
            "sections": len(edition.sections),
            # Every section the audio is made of: the cache pruning keeps these entries.
            "section_hashes": [section.content_hash for section in edition.sections],
            "synthesized": list(edition.synthesized),
            "reused": len(edition.sections) - len(edition.synthesized),
            "integrated_lufs": result.integrated_lufs,
            "true_peak_dbtp": result.true_peak_dbtp,
            "encode_attempts": result.attempts,
            "workers": workers_count(),
        },
        commands=list(result.commands),
    )


def id3_chapters(chapters: list[Chapter], duration_s: float) -> list[Chapter]:
    """Return at most 255 chapters for ID3, spread over the episode; JSON chapters keep all."""
    # A CTOC frame counts its entries in one byte: a very long guide (hundreds of headings)
    # keeps every n-th chapter in the MP3, so players can still jump through the whole episode.
    if len(chapters) <= ID3_MAX_CHAPTERS:
        return chapters
    step = math.ceil(len(chapters) / ID3_MAX_CHAPTERS)
    return with_end_times(chapters[::step], duration_s)


# --------------------------------------------------------------------------- publication
def _publish(job_id: int, source: GuideText, built: Built, tracker: _Tracker) -> None:
    """Store the files under new keys and make them current, in one transaction."""
    job = db.session.get(ProcessingJob, job_id)
    db.session.refresh(job)
    edition = get_edition_by_asset(job.asset_id)
    if job.state != JobState.RUNNING or edition is None or edition.last_job_id != job_id:
        raise JobCancelled(f"job {job_id} is {job.state} and no longer the edition's latest")
    asset = job.asset
    prefix = f"tts/guides/{source.resource_id}/j{job_id}"
    stem = safe_filename(source.slug, "guide")
    stored = []
    try:
        outputs = [
            (RenditionKind.AUDIO_EDITION, built.mp3, f"{stem}.mp3", "audio/mpeg"),
            (RenditionKind.CHAPTERS, built.chapters_json, f"{stem}-chapitres.json",
             JSON_CHAPTERS_MIMETYPE),
            (RenditionKind.TRANSCRIPT_VTT, built.vtt, f"{stem}.vtt", "text/vtt"),
            (RenditionKind.TRANSCRIPT_SRT, built.srt, f"{stem}.srt", "application/x-subrip"),
        ]
        for kind, path, name, content_type in outputs:
            with open(path, "rb") as fh:
                row = store_file(fh, name, prefix=prefix, content_type=content_type)
            stored.append(row.key)
            for old in asset.renditions:
                if old.kind == kind and old.is_current:
                    old.is_current = False
            info = dict(built.info) if kind == RenditionKind.AUDIO_EDITION else None
            asset.renditions.append(
                Rendition(
                    kind=kind,
                    file=row,
                    duration_s=built.duration_s,
                    bitrate=96_000 if kind == RenditionKind.AUDIO_EDITION else None,
                    info=info,
                )
            )
        with open(built.transcript, "rb") as fh:
            transcript = store_file(
                fh, f"{stem}-transcription.txt", prefix=prefix, content_type="text/plain"
            )
        stored.append(transcript.key)
        resource = db.session.get(Resource, source.resource_id)
        now = utcnow()
        asset.title = source.title[:255]
        asset.duration_s = built.duration_s
        asset.chapters = [{"start": round(c.start, 3), "title": c.title} for c in built.chapters]
        asset.status = AssetStatus.READY
        asset.ready_dt = now
        asset.is_public = bool(resource is not None and resource.is_published)
        tracker.finish()
        job.state = JobState.SUCCEEDED
        job.progress = 1.0
        job.eta_s = None
        job.finished_dt = now
        job.timings = dict(tracker.timings)
        job.commands = built.commands
        edition.status = EditionStatus.READY
        edition.revision_id = source.revision_id
        edition.text_hash = source.text_hash
        edition.engine_id = built.engine_id
        edition.voice = built.voice
        edition.duration_s = built.duration_s
        edition.transcript_file = transcript
        edition.build_info = built.info
        edition.updated_dt = now
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage = get_storage()
        for key in stored:  # nothing of a failed publication stays in storage
            storage.delete(key)
        raise
    log.info(
        "job %s: edition of resource %s published (%s sections, %s synthesised)",
        job_id, source.resource_id, built.info["sections"], len(built.info["synthesized"]),
    )


def _publish_episode(edition_id: int) -> None:
    """Create or update the guide's episode in the "Guides audio" podcast (same GUID)."""
    try:
        from app.podcasts import operations as podcasts
    except ImportError:  # the podcasts feature is not installed: the audio stays on the page
        return
    edition = db.session.get(GuideEdition, edition_id)
    resource = edition.resource if edition is not None else None
    if resource is None or edition.asset is None or not resource.is_published:
        return
    try:
        show = podcasts.get_or_create_show(
            current_app.config.get("TTS_SHOW_SLUG") or "guides-audio", **SHOW_FIELDS
        )
        summary = (resource.summary or "").strip()
        notice = (
            f"Version audio du guide « {resource.title} », lue par une voix de synthèse "
            f"({edition.voice or 'fr'}). Le texte du guide fait foi."
        )
        episode = podcasts.publish_episode(
            show,
            title=resource.title,
            asset=edition.asset,
            description=f"{summary}\n\n{notice}" if summary else notice,
            synthetic_voice=True,
            source=("guide", resource.id),
        )
        if episode.pub_dt is None:
            podcasts.schedule_episode(episode, utcnow())
        db.session.flush()
        edition.episode_id = episode.id
        db.session.commit()
    except Exception:
        # The edition is online on the guide's page; the feed can be fixed without regenerating.
        db.session.rollback()
        log.exception("edition %s: podcast episode not published", edition_id)


# --------------------------------------------------------------------------- failure
def failure_reason(exc: BaseException, step: str) -> Message:
    """Return the sentence shown to editors for a failed generation (stored, read translated)."""
    label = STEP_LABELS.get(step) or step
    if isinstance(exc, EngineUnavailable | EmptyGuide | SynthesisError):
        return exc.sentence
    if isinstance(exc, MediaRejected):
        return exc.reason
    if isinstance(exc, AudioEditionError):
        return Message("La version audio n'a pas pu être produite : %(why)s", why=exc.reason)
    if isinstance(exc, FFmpegTimeout):
        return Message(
            "L'étape « %(step)s » a dépassé le délai prévu : relancez la génération.", step=label
        )
    if isinstance(exc, FFmpegError):
        return Message("L'étape « %(step)s » a échoué : %(detail)s", step=label, detail=exc.message)
    if isinstance(exc, StorageError):
        return Message(
            "Le stockage des fichiers a échoué pendant l'étape « %(step)s » : relancez.", step=label
        )
    if type(exc).__name__ == "SoftTimeLimitExceeded":
        return Message("La génération a dépassé la durée maximale prévue : relancez-la.")
    return Message(
        "Erreur interne pendant l'étape « %(step)s » (%(error)s).",
        step=label,
        error=type(exc).__name__,
    )


def _mark_failed(job_id: int, exc: BaseException, tracker: _Tracker) -> None:
    db.session.rollback()
    job = db.session.get(ProcessingJob, job_id)
    if job is None:
        return
    db.session.refresh(job)
    step = tracker.current or job.step
    log.error("job %s: failed at step %s", job_id, step, exc_info=exc)
    tracker.finish()
    job.state = JobState.FAILED
    job.step = step
    job.error = failure_reason(exc, step)
    job.eta_s = None
    job.finished_dt = job.heartbeat_dt = utcnow()
    job.timings = dict(tracker.timings)
    tail = getattr(exc, "log_tail", None)
    if tail:
        job.log_tail = "\n".join(list(tail)[-40:])
    cmd = getattr(exc, "cmd", None)
    if cmd:
        job.commands = [list(cmd)]
    edition = db.session.scalar(
        sa.select(GuideEdition).where(GuideEdition.last_job_id == job.id)
    )
    if edition is not None:
        edition.status = EditionStatus.FAILED
        edition.updated_dt = utcnow()
    if job.asset.status != AssetStatus.READY:
        job.asset.status = AssetStatus.FAILED  # a failed regeneration leaves the old audio online
    db.session.commit()
