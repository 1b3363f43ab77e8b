"""Real Celery workers on Redis: two processes share the queue; a SIGKILLed job is redelivered.

Workers are separate ``celery worker`` processes configured through FLASK_* variables, sharing
the test database (SQLite file or PostgreSQL) and the media folder with the test.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from app.extensions import db
from app.media.jobs import enqueue_processing
from app.media.models import JobState, MediaAsset, ProcessingJob, Rendition, StoredFile
from app.media.operations import store_file
from app.media.storage import get_storage
from tests.conftest import TEST_BROKER_URL
from tests.media.conftest import ffmpeg

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.ffmpeg, pytest.mark.espeak]

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = TEST_BROKER_URL or "redis://127.0.0.1:6379/14"
TRANSPORT = {"visibility_timeout": 10, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}


@pytest.fixture
def worker_app(app_factory):
    application = app_factory(
        CELERY={"broker_url": BROKER_URL, "broker_transport_options": TRANSPORT},
        MEDIA={"heartbeat_interval_s": 1, "heartbeat_stale_s": 5},
    )
    client = redis.Redis.from_url(BROKER_URL)
    # Messages left by other test runs on this database would reach our workers.
    client.flushdb()
    with application.app_context():
        yield application
    client.flushdb()
    client.close()


class Workers:
    """Start and stop ``celery worker`` processes on the test's database and media folder."""

    def __init__(self, app, tmp_path):
        self.app = app
        self.tmp_path = tmp_path
        self.procs: dict[str, subprocess.Popen] = {}

    def env(self, name: str) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "FLASK_INSTANCE_PATH": str(self.tmp_path / f"instance-{name}"),
                "FLASK_SECRET_KEY": "worker-test-secret",
                "FLASK_SQLALCHEMY_DATABASE_URI": self.app.config["SQLALCHEMY_DATABASE_URI"],
                "FLASK_STORAGE__root": self.app.config["STORAGE"]["root"],
                "FLASK_CELERY__broker_url": BROKER_URL,
                "FLASK_CELERY__broker_transport_options": json.dumps(TRANSPORT),
                "FLASK_MEDIA__heartbeat_interval_s": "1",
                "FLASK_MEDIA__heartbeat_stale_s": "5",
            }
        )
        return env

    def start(self, name: str) -> str:
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
                "-Q", "long,short", "-n", f"{name}@%h", "--pool", "solo",
                "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle",
                "-l", "INFO",
            ],
            cwd=ROOT, env=self.env(name), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes ffmpeg down too
        )  # fmt: skip
        proc.log_file = log
        self.procs[name] = proc
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b" ready." in (self.tmp_path / f"{name}.log").read_bytes():
                return name
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"worker {name} did not start:\n{self.log(name)}")

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")[-4000:]

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.log_file.close()

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.log_file.close()


@pytest.fixture
def workers(worker_app, tmp_path):
    pool = Workers(worker_app, tmp_path)
    yield pool
    pool.stop_all()


def new_asset(path, title):
    with open(path, "rb") as fh:
        original = store_file(fh, path.name, prefix="media/originals")
    asset = MediaAsset(title=title, original=original)
    db.session.add(asset)
    db.session.flush()
    return asset


def wait_for(predicate, timeout, what, workers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        db.session.commit()
        if predicate():
            return
        time.sleep(0.25)
    logs = "\n".join(workers.log(n) for n in ("w1", "w2")) if workers else ""
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def test_two_workers_on_one_redis_broker_share_the_jobs(worker_app, workers, speech_mp3):
    workers.start("w1")
    workers.start("w2")
    job_ids = [enqueue_processing(new_asset(speech_mp3, f"Interview {i}")).id for i in range(4)]

    def all_done():
        states = [db.session.get(ProcessingJob, i).state for i in job_ids]
        return all(s in (JobState.SUCCEEDED, JobState.FAILED) for s in states)

    wait_for(all_done, 120, "four jobs", workers)
    rows = [db.session.get(ProcessingJob, i) for i in job_ids]
    assert [r.state for r in rows] == [JobState.SUCCEEDED] * 4, [r.error for r in rows]
    hosts = {r.worker.split("@")[0] for r in rows}
    assert hosts == {"w1", "w2"}


@pytest.fixture
def long_mpeg4(media_dir, speech_wav):
    """A 20 s 960×540 MPEG-4 Part 2 recording: not H.264, so it is re-encoded (a few seconds)."""
    path = media_dir / "mpeg4-20s.mkv"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=s=960x540:r=25:d=20", "-stream_loop", "-1",
            "-i", str(speech_wav), "-map", "0:v", "-map", "1:a", "-t", "20",
            "-c:v", "mpeg4", "-q:v", "5", "-c:a", "aac", "-b:a", "96k", str(path),
        )  # fmt: skip
    return path


def test_job_of_a_worker_killed_mid_transcode_completes_after_redelivery(
    worker_app, workers, long_mpeg4
):
    workers.start("w1")
    job_id = enqueue_processing(new_asset(long_mpeg4, "Webinaire long")).id

    def transcoding():
        job = db.session.get(ProcessingJob, job_id)
        return job.step == "web_video"

    wait_for(transcoding, 90, "the transcode to start", workers)
    time.sleep(1.0)  # ffmpeg is encoding now
    workers.kill("w1")  # like a machine losing power: no ack, no cleanup
    job = db.session.get(ProcessingJob, job_id)
    assert job.state == JobState.RUNNING and job.worker.startswith("w1@")
    workers.start("w2")

    def finished():
        return db.session.get(ProcessingJob, job_id).state in (JobState.SUCCEEDED, JobState.FAILED)

    wait_for(finished, 150, "the redelivered job", workers)
    job = db.session.get(ProcessingJob, job_id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.worker.startswith("w2@")
    assert job.attempts == 2
    renditions = db.session.scalars(sa.select(Rendition)).all()
    kinds = [r.kind for r in renditions]
    assert len(kinds) == len(set(kinds)), "a rendition was published twice"
    keys = db.session.scalars(sa.select(StoredFile.key)).all()
    assert len(keys) == len(set(keys))
    web = next(r for r in renditions if r.kind == "web_video")
    assert get_storage().exists(web.file.key)
    assert web.duration_s == pytest.approx(20, abs=1)
    leftovers = [p for p in Path(get_storage().root).rglob("*") if ".part-" in p.name]
    assert leftovers == []
