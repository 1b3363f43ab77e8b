"""The processing pipeline: one small state machine per job, committed at each step.

``run_job(job_id)`` loads the job, marks it running, then runs the steps of its type:

- ``process`` / ``reprocess``: probe → validate → web video (remux fast path or 720p encode) →
  poster and storyboard (keyframes only) → audio edition (tagged, chaptered) → waveform →
  chapters → publish. Audio-only recordings skip the video steps.
- ``edit``: apply the montage (asset.edit) to the web video (stream copy at keyframes) and to
  the audio edition (sample-accurate), shift the chapters, and publish.

Outputs are written under ``media/assets/<asset>/j<job>/`` (deterministic per job, so a
redelivered job overwrites its own files), verified, then published in one transaction: new
renditions become current and the previous ones stop being current only then, so the old replay
stays online while a reprocess runs. On failure the job gets a reason a person understands, the
original is untouched, and nothing of the failed run is served.

When an asset becomes ready, the functions registered with ``hooks.register_ready_listener`` are
called with it (inside the worker's app context, after the commit). Courses use it to attach the
replay to the session named by ``asset.target``; podcasts to publish the episode. A listener
that raises is logged and does not fail the job.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.media import hooks, profiles
from app.media.audio import (
    AudioEditionError,
    build_waveform_document,
    extract_waveform_peaks,
    make_audio_edition,
)
from app.media.chapters import (
    JSON_CHAPTERS_MIMETYPE,
    Chapter,
    apply_keep_ranges,
    build_chapters_json,
    shift_chapters,
    with_end_times,
)
from app.media.jobs import media_config
from app.media.models import (
    AssetKind,
    AssetStatus,
    JobState,
    MediaAsset,
    ProcessingJob,
    Rendition,
    RenditionKind,
    StoredFile,
)
from app.media.probe import MediaRejected, ProbeResult, can_remux, probe, remux_blockers, validate
from app.media.runner import FFmpegError, FFmpegTimeout, RunResult, run_ffmpeg
from app.media.steps import STEP_LABELS
from app.media.storage import StorageError, get_storage
from app.media.tagging import write_tags
from app.media.transcode import (
    build_concat_copy,
    build_cut_audio,
    build_poster,
    build_remux,
    build_segment_copy,
    build_storyboard,
    build_web_video,
    concat_list_text,
    keep_ranges_from_cuts,
    plan_storyboard,
    poster_time,
)

log = logging.getLogger(__name__)

# The registries live in app.media.hooks (features register without loading the pipeline);
# these names stay for callers and tests that use them through the pipeline.
_ready_listeners = hooks.ready_listeners
_metadata_providers = hooks.metadata_providers
register_ready_listener = hooks.register_ready_listener
register_metadata_provider = hooks.register_metadata_provider


#: Share of the whole job each step takes (for the progress bar and the time left).
STEP_WEIGHTS = {
    "probe": 0.02,
    "web_video": 0.55,
    "images": 0.05,
    "audio_edition": 0.28,
    "waveform": 0.05,
    "publish": 0.05,
}


class TransientError(Exception):
    """A failure worth retrying later (storage or network hiccup)."""


def is_transient(exc: BaseException) -> bool:
    """Tell whether an error may go away by itself (retry with backoff) or is permanent."""
    if isinstance(exc, TransientError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sa.exc.OperationalError):
        return True
    try:
        from botocore.exceptions import (
            ConnectionClosedError,
            EndpointConnectionError,
            ReadTimeoutError,
        )
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return False
    return isinstance(exc, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError)


def failure_reason(exc: BaseException, step: str) -> str:
    """Return the sentence shown to the animator for a failed job (translated when read)."""
    label = STEP_LABELS.get(step) or step
    if isinstance(exc, MediaRejected):
        return exc.reason  # a Message, translated when read
    if isinstance(exc, AudioEditionError):
        return Message("La version audio n'a pas pu être produite : %(why)s", why=exc.reason)
    if isinstance(exc, FFmpegTimeout):
        return Message(
            "L'étape « %(step)s » a dépassé le délai prévu pour cette durée d'enregistrement. "
            "Relancez le traitement ; si cela se reproduit, prévenez l'équipe technique.",
            step=label,
        )
    if isinstance(exc, FFmpegError):
        if exc.is_input_error:
            return Message(
                "Le fichier source est illisible ou corrompu par endroits (%(detail)s). "
                "Exportez à nouveau l'enregistrement et renvoyez-le.",
                detail=exc.log_tail[-1] if exc.log_tail else Message("erreur de lecture"),
            )
        return Message("L'étape « %(step)s » a échoué : %(detail)s", step=label, detail=exc.message)
    if type(exc).__name__ == "SoftTimeLimitExceeded":
        return Message(
            "Le traitement a dépassé la durée maximale prévue pour cet enregistrement. "
            "Relancez-le ; si cela se reproduit, prévenez l'équipe technique."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Message(
            "Espace disque insuffisant pour enregistrer les fichiers produits : libérez de la "
            "place ou prévenez l'équipe technique, puis relancez. L'original est conservé."
        )
    if isinstance(exc, StorageError):
        return Message("Le fichier d'origine est introuvable dans le stockage : renvoyez-le.")
    if is_transient(exc):
        return Message(
            "Erreur passagère pendant l'étape « %(step)s » (%(error)s) : "
            "le traitement peut être relancé.",
            step=label,
            error=type(exc).__name__,
        )
    return Message(
        "Erreur interne pendant l'étape « %(step)s » (%(error)s).",
        step=label,
        error=type(exc).__name__,
    )


@dataclass
class Output:
    """A file made by the job, waiting to be published as a rendition."""

    kind: RenditionKind
    path: str
    name: str
    content_type: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    bitrate: int | None = None
    info: dict = field(default_factory=dict)
    #: True once the file sits at its key in storage (published early, or by _publish).
    stored: bool = False


def output_key(asset_id: int, job_id: int, name: str) -> str:
    """Return the deterministic storage key of a job's output (a new job means new keys)."""
    return f"media/assets/{asset_id}/j{job_id}/{name}"


class JobRun:
    """Bookkeeping of one run: steps, progress (separate short transactions), heartbeat, log."""

    def __init__(self, job: ProcessingJob, weights: dict[str, float]):
        self.job_id = job.id
        self.weights = weights
        self.done = 0.0
        self.current = ""
        self.started = time.monotonic()
        self.engine = db.engine
        self.timings: dict[str, float] = dict(job.timings or {})
        self.commands: list[list[str]] = []
        self.log_tail: list[str] = []
        conf = media_config()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, args=(conf["heartbeat_interval_s"],), daemon=True
        )

    # -- heartbeat and progress: written through their own connection, never the job's session
    def _update(self, **values: Any) -> None:
        table = ProcessingJob.__table__
        with self.engine.begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.id == self.job_id, table.c.state == JobState.RUNNING.value)
                .values(heartbeat_dt=utcnow(), **values)
            )

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self._update()
            except Exception:  # a missed heartbeat is not worth killing the job
                log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)

    def start_heartbeat(self) -> None:
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._heartbeat.is_alive():
            self._heartbeat.join(timeout=5)

    def on_progress(self, fraction: float, eta: float | None) -> None:
        """Runner callback: map the step's fraction onto the whole job and store it."""
        weight = self.weights.get(self.current, 0.0)
        overall = min(0.99, self.done + weight * fraction)
        elapsed = time.monotonic() - self.started
        eta_total = elapsed * (1 - overall) / overall if overall > 0.02 else None
        try:
            self._update(progress=round(overall, 4), eta_s=eta_total)
        except Exception:
            log.warning("job %s: progress update failed", self.job_id, exc_info=True)

    @contextmanager
    def step(self, job: ProcessingJob, name: str) -> Iterator[None]:
        """Mark the step in the job row (committed), time it, and advance the progress."""
        self.current = name
        job.step = name
        job.progress = round(min(0.99, self.done), 4)
        job.heartbeat_dt = utcnow()
        db.session.commit()  # also ends the transaction: nothing stays open during slow work
        log.info("job %s: step %s", self.job_id, name)
        began = time.monotonic()
        yield
        self.timings[name] = round(self.timings.get(name, 0.0) + time.monotonic() - began, 3)
        self.done += self.weights.get(name, 0.0)
        job.timings = dict(self.timings)
        job.commands = list(self.commands)
        job.log_tail = "\n".join(self.log_tail[-40:]) or None

    def record(self, result: RunResult | list[list[str]]) -> None:
        """Keep the exact command(s) and the end of the log."""
        if isinstance(result, RunResult):
            self.commands.append(result.cmd)
            self.log_tail = list(result.log_tail)
        else:
            self.commands.extend(result)


# --------------------------------------------------------------------------- entry point
def run_job(job_id: int, *, worker: str | None = None, final_attempt: bool = True) -> str:
    """Run a job by id; return what happened ("succeeded", "skipped"…). Failures re-raise."""
    job = db.session.get(ProcessingJob, job_id)
    if job is None or job.asset is None:
        log.info("job %s: gone, nothing to do", job_id)
        return "gone"
    conf = media_config()
    if job.state in (JobState.SUCCEEDED, JobState.CANCELLED, JobState.FAILED):
        log.info("job %s: already %s, nothing to do", job_id, job.state)
        return "skipped"
    if job.state == JobState.RUNNING and job.heartbeat_dt is not None:
        silent = (utcnow() - job.heartbeat_dt).total_seconds()
        log.warning("job %s: last run by %s, silent for %.0f s", job_id, job.worker, silent)
    if not _claim(job_id, worker, conf["heartbeat_stale_s"]):
        log.info("job %s: running on %s (alive), skipped", job_id, job.worker)
        return "skipped"
    db.session.refresh(job)
    job_type = job.job_type
    weights = _weights_for(job)
    db.session.commit()
    run = JobRun(job, weights)
    run.start_heartbeat()
    # Every temporary file of the run lives here and goes away whatever happens.
    work = tempfile.mkdtemp(prefix=f"media-job{job_id}-")
    try:
        steps = _run_edit if job_type == "edit" else _run_process
        outputs = steps(job, run, work)
        _publish(job, run, outputs)
    except BaseException as exc:
        run.stop_heartbeat()
        _mark_failed(job_id, run, exc, final_attempt=final_attempt)
        raise
    finally:
        run.stop_heartbeat()
        shutil.rmtree(work, ignore_errors=True)
    _notify_ready(job.asset)
    return "succeeded"


def _claim(job_id: int, worker: str | None, stale_s: float) -> bool:
    """Atomically take the job: queued, or running without heartbeat (its worker died).

    Two deliveries of the same job (a Redis redelivery, a message re-sent by the sweeper) may
    reach two workers at once: only one UPDATE matches, the other worker skips the job.
    """
    now = utcnow()
    table = ProcessingJob.__table__
    taken = db.session.execute(
        table.update()
        .where(
            table.c.id == job_id,
            sa.or_(
                table.c.state == JobState.QUEUED.value,
                sa.and_(
                    table.c.state == JobState.RUNNING.value,
                    sa.or_(
                        table.c.heartbeat_dt.is_(None),
                        table.c.heartbeat_dt < now - timedelta(seconds=stale_s),
                    ),
                ),
            ),
        )
        .values(
            state=JobState.RUNNING.value,
            worker=worker,
            attempts=table.c.attempts + 1,
            error=None,
            started_dt=now,
            finished_dt=None,
            heartbeat_dt=now,
        )
    ).rowcount
    db.session.commit()
    return taken == 1


def _weights_for(job: ProcessingJob) -> dict[str, float]:
    weights = dict(STEP_WEIGHTS)
    if job.asset.kind == AssetKind.AUDIO:
        weights.pop("web_video")
        weights.pop("images")
    total = sum(weights.values())
    return {name: value / total for name, value in weights.items()}


def _mark_failed(job_id: int, run: JobRun, exc: BaseException, *, final_attempt: bool) -> None:
    """Record the failure (or, for a transient error with retries left, the wait)."""
    db.session.rollback()
    job = db.session.get(ProcessingJob, job_id)
    if job is None:
        return
    reason = failure_reason(exc, job.step)
    transient = is_transient(exc) and not final_attempt
    if transient:
        log.warning("job %s: transient failure at step %s, will retry: %r", job_id, job.step, exc)
    else:
        log.error("job %s: failed at step %s", job_id, job.step, exc_info=exc)
    job.state = JobState.QUEUED if transient else JobState.FAILED
    job.error = reason
    job.eta_s = None
    job.heartbeat_dt = utcnow()
    job.finished_dt = None if transient else utcnow()
    job.timings = dict(run.timings)
    if run.commands:
        job.commands = list(run.commands)
    tail = getattr(exc, "log_tail", None) or run.log_tail
    job.log_tail = "\n".join(list(tail)[-40:]) or None
    asset = job.asset
    if not transient and asset.status != AssetStatus.READY:
        asset.status = AssetStatus.FAILED  # a reprocess that fails leaves the old replay online
    db.session.commit()
    if not transient:
        _delete_outputs(asset.id, job.id)


def _delete_outputs(asset_id: int, job_id: int) -> None:
    """Remove files a failed run stored (none is referenced by a rendition)."""
    storage = get_storage()
    for name in _OUTPUT_NAMES:
        try:
            key = output_key(asset_id, job_id, name)
            if db.session.scalar(sa.select(StoredFile.id).where(StoredFile.key == key)) is None:
                storage.delete(key)
        except Exception:
            log.warning("job %s: could not delete %s", job_id, name, exc_info=True)


def _notify_ready(asset: MediaAsset) -> None:
    for listener in list(_ready_listeners):
        try:
            listener(asset)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("ready listener %r failed for asset %s", listener, asset.id)


# --------------------------------------------------------------------------- process
_OUTPUT_NAMES = (
    "replay-720p.mp4",
    "replay.mp4",
    "audio.mp3",
    "poster.jpg",
    "storyboard.jpg",
    "waveform.json",
    "chapters.json",
)


def _summarise(result: ProbeResult) -> dict:
    """Keep what pages and later jobs need from the probe (the raw JSON stays too)."""
    summary: dict[str, Any] = {
        "container": result.container,
        "duration": result.duration,
        "size": result.size,
        "bit_rate": result.bit_rate,
        "video": None,
        "audio": None,
        "raw": result.raw,
    }
    if result.video:
        v = result.video
        summary["video"] = {
            "codec": v.codec,
            "width": v.width,
            "height": v.height,
            "pix_fmt": v.pix_fmt,
            "fps": v.fps,
            "rotation": v.rotation,
        }
    if result.audio:
        a = result.audio
        summary["audio"] = {
            "codec": a.codec,
            "channels": a.channels,
            "sample_rate": a.sample_rate,
            "bit_rate": a.bit_rate,
        }
    return summary


def _timeout(duration: float | None) -> float:
    conf = media_config()
    return (
        conf["time_limit_factor"] * (duration or conf["default_duration_s"])
        + conf["time_limit_base_s"]
    )


def _chapters_of(asset: MediaAsset) -> list[Chapter]:
    return [
        Chapter(start=float(c["start"]), title=str(c.get("title", "")))
        for c in (asset.chapters or [])
        if "start" in c
    ]


def _metadata(asset: MediaAsset) -> dict:
    merged: dict[str, Any] = {}
    for provider in _metadata_providers:
        try:
            merged.update(provider(asset) or {})
        except Exception:
            log.exception("metadata provider %r failed for asset %s", provider, asset.id)
    return merged


def _run_process(job: ProcessingJob, run: JobRun, work: str) -> list[Output]:
    asset = job.asset
    original = asset.original
    if original is None:
        raise MediaRejected(Message("Ce média n'a pas de fichier d'origine."))
    storage = get_storage(original.backend)
    with storage.local_path(original.key) as src:
        with run.step(job, "probe"):
            result = probe(src)
            asset.probe = _summarise(result)
            asset.duration_s = result.duration
            if result.is_audio_only and asset.kind != AssetKind.AUDIO:
                asset.kind = AssetKind.AUDIO
        run.weights = _weights_for(job)
        validate(result, profiles.LIMITS)
        db.session.commit()
        return _make_outputs(job, run, src, result, work)


def _make_outputs(
    job: ProcessingJob,
    run: JobRun,
    src,
    result: ProbeResult,
    work: str,
    *,
    chapters: list[Chapter] | None = None,
    edit: dict | None = None,
) -> list[Output]:
    asset = job.asset
    title = asset.title
    metadata = _metadata(asset)
    chapters = _chapters_of(asset) if chapters is None else chapters
    duration = result.duration or 0.0
    timeout = _timeout(duration)
    outputs: list[Output] = []
    poster_path = None
    first_run = not any(r.is_current for r in asset.renditions)
    with contextlib.ExitStack() as stack:
        jingles = _local_jingles(stack, metadata)
        edition = _EditionMaker(src, work, duration, timeout, jingles)
        if result.video is not None:
            # The audio edition reads only the audio: it runs beside the video steps, on the
            # other core, and is usually done by the time the replay is online.
            edition.start_in_background(stack)
            with run.step(job, "web_video"):
                outputs.append(_web_video(run, src, result, work, timeout))
            video_path = outputs[0].path
            if first_run:
                # Nothing online yet: the replay plays now; poster, storyboard and audio
                # edition follow with the final publication.
                _attach(job, outputs, final=False)
                db.session.commit()
                if not os.path.exists(video_path):  # moved into local storage: read it there
                    key = output_key(asset.id, job.id, outputs[0].name)
                    video_path = stack.enter_context(get_storage().local_path(key))
            with run.step(job, "images"):
                images = _images(run, video_path, work, timeout)
                outputs += images
                poster_path = os.path.join(work, "cover.jpg")
                shutil.copyfile(images[0].path, poster_path)  # the poster file moves to storage
            with run.step(job, "waveform"):
                # While the audio edition ends on the other core.
                outputs.append(_waveform(src, work, timeout))
        with run.step(job, "audio_edition"):
            made = edition.result(on_progress=run.on_progress)
            outputs.append(
                _audio_edition_output(
                    run,
                    made,
                    edition,
                    title=title,
                    chapters=chapters,
                    metadata=metadata,
                    poster_path=poster_path,
                )
            )
    if result.video is None:
        with run.step(job, "waveform"):
            outputs.append(_waveform(src, work, timeout))
    if chapters:
        outputs.append(_chapters_json(chapters, duration, work))
    if edit is not None:
        for output in outputs:
            output.info["edit"] = edit
    return outputs


def _web_video(run: JobRun, src, result: ProbeResult, work: str, timeout: float) -> Output:
    assert result.video is not None
    blockers = remux_blockers(result, profiles.REMUX)
    if can_remux(result, profiles.REMUX):
        out = os.path.join(work, "replay.mp4")
        done = run_ffmpeg(
            lambda tmp: build_remux(src, tmp),
            output=out,
            duration=result.duration,
            on_progress=run.on_progress,
            timeout=timeout,
        )
        info = {"path": "remux", "recipe": "remux-faststart"}
        name = "replay.mp4"
    else:
        profile = profiles.WEB_720P
        out = os.path.join(work, "replay-720p.mp4")
        done = run_ffmpeg(
            lambda tmp: build_web_video(src, tmp, result.video, profile),
            output=out,
            duration=result.duration,
            on_progress=run.on_progress,
            timeout=timeout,
        )
        info = {
            "path": "encode",
            "recipe": f"{profile.name}-v{profile.recipe_version}",
            "reasons": blockers,
        }
        name = "replay-720p.mp4"
    run.record(done)
    return _verified_video(out, name, result.duration, info)


def _verified_video(path: str, name: str, expected: float | None, info: dict) -> Output:
    """Probe the made file: it must be H.264 with the expected duration before it is published."""
    made = probe(path)
    if made.video is None or made.video.codec != "h264":
        raise FFmpegError(Message("la vidéo produite n'est pas en H.264"), [], [])
    if expected and made.duration and abs(made.duration - expected) > max(1.0, 0.02 * expected):
        raise FFmpegError(
            Message(
                "la vidéo produite dure %(made).1f s au lieu de %(expected).1f s",
                made=made.duration,
                expected=expected,
            ),
            [],
            [],
        )
    width, height = made.video.display_size
    return Output(
        kind=RenditionKind.WEB_VIDEO,
        path=path,
        name=name,
        content_type="video/mp4",
        width=width,
        height=height,
        duration_s=made.duration,
        bitrate=made.bit_rate,
        info=info,
    )


def _images(run: JobRun, video_path: str, work: str, timeout: float) -> tuple[Output, ...]:
    made = probe(video_path)
    assert made.video is not None
    poster_path = os.path.join(work, "poster.jpg")
    wanted = poster_time(made.duration, profiles.POSTER)
    # Keyframes only: when none precedes the wanted instant (long GOP, short recording),
    # the first frame, always a keyframe, is the poster.
    for at_s in (wanted, 0.0) if wanted > 0 else (0.0,):
        try:
            done = run_ffmpeg(
                lambda tmp, at_s=at_s: build_poster(
                    video_path, tmp, made.video, profiles.POSTER, at_s=at_s
                ),
                output=poster_path,
                timeout=timeout,
            )
            break
        except FFmpegError:
            if at_s == 0.0:
                raise
    run.record(done)
    layout = plan_storyboard(made.duration or 1.0, profiles.STORYBOARD)
    storyboard_path = os.path.join(work, "storyboard.jpg")
    try:
        done = run_ffmpeg(
            lambda tmp: build_storyboard(video_path, tmp, layout, profiles.STORYBOARD),
            output=storyboard_path,
            timeout=timeout,
        )
        run.record(done)
    except FFmpegError as exc:
        # A nice-to-have: with a single keyframe there is nothing to tile; the job goes on.
        log.warning("job %s: no storyboard (%s)", run.job_id, exc.message)
        run.record([exc.cmd])
        storyboard_path = None
    pw, ph = _jpeg_size(poster_path)
    poster = Output(
        kind=RenditionKind.POSTER,
        path=poster_path,
        name="poster.jpg",
        content_type="image/jpeg",
        width=pw,
        height=ph,
    )
    storyboard = Output(
        kind=RenditionKind.STORYBOARD,
        path=storyboard_path,
        name="storyboard.jpg",
        content_type="image/jpeg",
        width=layout.columns * layout.thumb_width,
        height=layout.rows * layout.thumb_height,
        info={
            "interval_s": layout.interval_s,
            "columns": layout.columns,
            "rows": layout.rows,
            "count": layout.count,
            "thumb_width": layout.thumb_width,
            "thumb_height": layout.thumb_height,
        },
    )
    return (poster, storyboard) if storyboard_path else (poster,)


def _jpeg_size(path: str) -> tuple[int | None, int | None]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


@dataclass(frozen=True)
class Jingle:
    """An intro or outro jingle, as a local file, and how long it plays."""

    path: str
    duration_s: float


def _local_jingles(stack: contextlib.ExitStack, metadata: dict) -> dict[str, Jingle]:
    """Fetch the show's jingles (``intro_jingle`` / ``outro_jingle`` StoredFiles) locally."""
    jingles = {}
    for place in ("intro", "outro"):
        stored = metadata.get(f"{place}_jingle")
        if stored is None:
            continue
        path = stack.enter_context(get_storage(stored.backend).local_path(stored.key))
        jingles[place] = Jingle(path=os.fspath(path), duration_s=probe(path).duration or 0.0)
    return jingles


class _EditionMaker:
    """Make the audio edition now, or in a background thread while the video is processed.

    The background run touches no database session (not thread-safe) and reports no
    progress: the video steps drive the bar; the job waits for it in its own step.
    """

    def __init__(self, src, work: str, duration: float, timeout: float, jingles):
        self.src = src
        self.out = os.path.join(work, "audio.mp3")
        self.jingles: dict[str, Jingle] = jingles
        self.duration = duration + sum(j.duration_s for j in jingles.values())
        self.timeout = timeout
        self.profile = profiles.PODCAST_MONO
        self.future: Future | None = None

    def _make(self, on_progress=None):
        return make_audio_edition(
            self.src,
            self.out,
            self.profile,
            duration=self.duration,
            on_progress=on_progress,
            timeout=self.timeout,
            intro=self.jingles["intro"].path if "intro" in self.jingles else None,
            outro=self.jingles["outro"].path if "outro" in self.jingles else None,
        )

    def start_in_background(self, stack: contextlib.ExitStack) -> None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audio-edition")
        # Leaving the stack (even on failure) waits for the thread: the work folder it writes
        # into is removed afterwards, and ffmpeg is bounded by its timeout.
        stack.callback(executor.shutdown, wait=True)
        self.future = executor.submit(self._make)

    def result(self, *, on_progress=None):
        if self.future is None:
            return self._make(on_progress)
        return self.future.result()

    @property
    def intro_s(self) -> float:
        return self.jingles["intro"].duration_s if "intro" in self.jingles else 0.0


def _audio_edition_output(
    run: JobRun,
    result,
    edition: _EditionMaker,
    *,
    title: str,
    chapters: list[Chapter],
    metadata: dict,
    poster_path: str | None,
) -> Output:
    """Tag the made edition (cover, chapters shifted past the intro) and describe it."""
    profile = edition.profile
    out = result.path
    run.record(result.commands)
    cover = metadata.get("cover")
    cover_mime = metadata.get("cover_mime", "image/jpeg")
    if cover is None and poster_path:
        with open(poster_path, "rb") as fh:
            cover = fh.read()
    made = probe(out)
    write_tags(
        out,
        title=metadata.get("title") or title,
        duration=made.duration or edition.duration,
        speakers=metadata.get("speakers") or (),
        series=metadata.get("series"),
        date=metadata.get("date"),
        comment=metadata.get("comment"),
        cover=cover,
        cover_mime=cover_mime,
        chapters=shift_chapters(chapters, edition.intro_s) if edition.intro_s else chapters,
    )
    info = {
        "integrated_lufs": result.integrated_lufs,
        "true_peak_dbtp": result.true_peak_dbtp,
        "target_lufs": profile.target_lufs,
        "gain_db": result.gain_db,
        "source_lufs": result.source.integrated_lufs,
        "attempts": result.attempts,
        "profile": f"{profile.name}-v{profile.recipe_version}",
    }
    if edition.jingles:
        info["jingles"] = {place: round(j.duration_s, 3) for place, j in edition.jingles.items()}
    return Output(
        kind=RenditionKind.AUDIO_EDITION,
        path=out,
        name="audio.mp3",
        content_type="audio/mpeg",
        duration_s=made.duration,
        bitrate=made.bit_rate,
        info=info,
    )


def _waveform(src, work: str, timeout: float) -> Output:
    peaks = extract_waveform_peaks(src, profiles.WAVEFORM, timeout=timeout)
    path = os.path.join(work, "waveform.json")
    _write_json(path, build_waveform_document(peaks, profiles.WAVEFORM))
    return Output(
        kind=RenditionKind.WAVEFORM,
        path=path,
        name="waveform.json",
        content_type="application/json",
        duration_s=len(peaks) / profiles.WAVEFORM.peaks_per_second,
    )


def _chapters_json(chapters: list[Chapter], duration: float, work: str) -> Output:
    path = os.path.join(work, "chapters.json")
    _write_json(path, build_chapters_json(with_end_times(chapters, duration)))
    return Output(
        kind=RenditionKind.CHAPTERS,
        path=path,
        name="chapters.json",
        content_type=JSON_CHAPTERS_MIMETYPE,
    )


def _write_json(path: str, document: dict) -> None:
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(document, fh, ensure_ascii=False, separators=(",", ":"))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- edit (montage)
def base_rendition(asset: MediaAsset, kind: RenditionKind | str) -> Rendition | None:
    """Return the newest rendition of a kind made from the unedited recording."""
    return asset.base_rendition(kind)


def _run_edit(job: ProcessingJob, run: JobRun, work: str) -> list[Output]:
    asset = job.asset
    edit = (job.params or {}).get("edit") or asset.edit or {}
    duration = asset.duration_s or 0.0
    keep = keep_ranges_from_cuts(
        duration,
        trim_start=float(edit.get("trim_start") or 0.0),
        trim_end=float(edit["trim_end"]) if edit.get("trim_end") is not None else None,
        cuts=[(float(a), float(b)) for a, b in edit.get("cuts") or []],
    )
    if not keep or sum(b - a for a, b in keep) < profiles.LIMITS.min_duration_s:
        raise MediaRejected(Message("Le montage ne garde presque rien de l'enregistrement."))
    original = asset.original
    base_video = base_rendition(asset, RenditionKind.WEB_VIDEO)
    with get_storage(original.backend).local_path(original.key) as src:
        with run.step(job, "cut"):
            cut_wav = os.path.join(work, "cut.wav")
            done = run_ffmpeg(
                lambda tmp: build_cut_audio(src, tmp, keep),
                output=cut_wav,
                timeout=_timeout(duration),
            )
            run.record(done)
        edited_video = None
        if base_video is not None:
            base = get_storage(base_video.file.backend).local_path(base_video.file.key)
            with base as vid, run.step(job, "web_video"):
                edited_video = _cut_video(run, vid, keep, work, duration)
        result = probe(edited_video or cut_wav)
        chapters = apply_keep_ranges(_chapters_of(asset), keep)
        outputs = _edit_outputs(job, run, cut_wav, edited_video, result, work, chapters)
        for output in outputs:
            output.info["edit"] = edit
        return outputs


def _cut_video(run: JobRun, src, keep, work: str, duration: float) -> str:
    segments = []
    for index, (start, end) in enumerate(keep):
        segment = os.path.join(work, f"segment-{index:03d}.mp4")
        done = run_ffmpeg(
            lambda tmp, s=start, e=end: build_segment_copy(src, tmp, s, e),
            output=segment,
            timeout=_timeout(duration),
        )
        run.record(done)
        segments.append(segment)
    listing = os.path.join(work, "segments.txt")
    with open(listing, "w", encoding="utf-8") as fh:
        fh.write(concat_list_text(segments))
    out = os.path.join(work, "replay-edit.mp4")
    done = run_ffmpeg(
        lambda tmp: build_concat_copy(listing, tmp), output=out, timeout=_timeout(duration)
    )
    run.record(done)
    for segment in segments:
        os.unlink(segment)
    return out


def _edit_outputs(job, run, cut_wav, edited_video, result, work, chapters) -> list[Output]:
    asset = job.asset
    metadata = _metadata(asset)
    duration = result.duration or 0.0
    timeout = _timeout(duration)
    outputs: list[Output] = []
    poster_path = None
    if edited_video is not None:
        made = probe(edited_video)
        web = _verified_video(edited_video, "replay.mp4", None, {"path": "edit-copy"})
        web.duration_s = made.duration
        outputs.append(web)
        with run.step(job, "images"):
            images = _images(run, edited_video, work, timeout)
            poster_path = images[0].path
            outputs += images
    with run.step(job, "audio_edition"), contextlib.ExitStack() as stack:
        edition = _EditionMaker(cut_wav, work, duration, timeout, _local_jingles(stack, metadata))
        made = edition.result(on_progress=run.on_progress)
        outputs.append(
            _audio_edition_output(
                run,
                made,
                edition,
                title=asset.title,
                chapters=chapters,
                metadata=metadata,
                poster_path=poster_path,
            )
        )
    with run.step(job, "waveform"):
        outputs.append(_waveform(cut_wav, work, timeout))
        if chapters:
            outputs.append(_chapters_json(chapters, duration, work))
    return outputs


# --------------------------------------------------------------------------- publish
def _attach(job: ProcessingJob, outputs: list[Output], *, final: bool) -> None:
    """Store the outputs not stored yet at their keys and make them current (flushed)."""
    asset = job.asset
    storage = get_storage()
    files: list[tuple[Output, StoredFile]] = []
    for output in outputs:
        key = output_key(asset.id, job.id, output.name)
        # A redelivered job that crashed after committing finds its rows: reuse them.
        row = db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key))
        if not output.stored:
            if hasattr(storage, "save_path"):  # local disk: a rename, not a copy
                size = storage.save_path(key, output.path, move=True)
            else:
                with open(output.path, "rb") as fh:
                    size = storage.save(key, fh, content_type=output.content_type)
            if row is None:
                row = StoredFile(backend=storage.name, key=key)
                db.session.add(row)
            row.filename = output.name
            row.content_type = output.content_type
            row.size = size
            row.sha256 = None
            output.stored = True
        files.append((output, row))
    db.session.flush()
    made_kinds = {output.kind for output in outputs}
    for rendition in asset.renditions:
        if rendition.kind in made_kinds or (final and rendition.kind == RenditionKind.CHAPTERS):
            rendition.is_current = False
    for output, row in files:
        existing = db.session.scalar(sa.select(Rendition).where(Rendition.file_id == row.id))
        rendition = existing or Rendition(asset=asset, file=row, kind=output.kind)
        rendition.is_current = True
        rendition.width, rendition.height = output.width, output.height
        rendition.duration_s = output.duration_s
        rendition.bitrate = output.bitrate
        rendition.info = output.info or None
        db.session.add(rendition)
    db.session.flush()


def _publish(job: ProcessingJob, run: JobRun, outputs: list[Output]) -> None:
    """Store the outputs, switch renditions and finish the job in one transaction."""
    asset = job.asset
    with run.step(job, "publish"):
        _attach(job, outputs, final=True)
    asset.status = AssetStatus.READY
    asset.ready_dt = utcnow()
    job.state = JobState.SUCCEEDED
    job.progress = 1.0
    job.eta_s = 0.0
    job.step = "publish"
    job.finished_dt = utcnow()
    job.timings = dict(run.timings)
    job.commands = list(run.commands)
    db.session.commit()
    log.info("job %s: succeeded, %s renditions published", job.id, len(outputs))
