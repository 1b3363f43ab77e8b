"""Faults the platform must survive: PostgreSQL restarted, Redis restarted during jobs, a full disk.

The SIGKILLed worker is proven in tests/media/test_worker.py (the media suite owns its worker).
PostgreSQL and Redis here are private servers started by the tests (tests/proof/conftest.py):
the shared ones other suites use are never stopped.
"""

import errno
import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.auth import operations as auth_operations
from app.auth.models import Role
from app.extensions import db
from app.media.models import AssetKind, AssetStatus, JobState, MediaAsset, ProcessingJob, Rendition
from app.media.storage import LocalStorage
from tests.conftest import PASSWORD, IsolatedClient, make_config

ROOT = Path(__file__).resolve().parents[2]
UNAVAILABLE = "Le service est momentanément indisponible"


def _tone_mp3(path: Path, seconds: int, freq: int) -> Path:
    """Write a short mono MP3 (a tone over pink noise, so loudness analysis has something)."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}",
         "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.05:duration={seconds}",
         "-filter_complex", "amix=inputs=2:duration=shortest", "-ac", "1", "-ar", "22050",
         "-c:a", "libmp3lame", "-b:a", "48k", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def _add_audio_asset(source: Path, title: str) -> MediaAsset:
    from app.media.operations import store_file

    with source.open("rb") as fh:
        original = store_file(fh, source.name, prefix="media/originals", content_type="audio/mpeg")
    asset = MediaAsset(
        title=title, kind=AssetKind.AUDIO, status=AssetStatus.PROCESSING, original=original
    )
    db.session.add(asset)
    db.session.flush()
    return asset


# --------------------------------------------------------------------------- PostgreSQL
@pytest.mark.slow
def test_web_app_recovers_when_postgresql_restarts(private_postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        make_config(
            tmp_path,
            SQLALCHEMY_DATABASE_URI=private_postgres.url,
            CELERY={"broker_url": "memory://"},
        )
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        user = auth_operations.create_user("ada@example.org", PASSWORD, role=Role.ANIMATOR,
                                           confirmed=True)  # fmt: skip
        token = auth_operations.create_api_token(user, "fault test")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    login = {"email": "ada@example.org", "password": PASSWORD}

    def check_up():
        me = client.get("/api/me", headers=bearer)
        assert me.status_code == 200, me.get_data(as_text=True)[:300]
        assert me.json["email"] == "ada@example.org"
        signed_in = client.post("/compte/connexion", data=login)
        assert signed_in.status_code == 302
        client.post("/compte/deconnexion")
        assert client.get("/healthz").status_code == 200

    check_up()
    member = app.test_client()
    assert member.post("/compte/connexion", data=login).status_code == 302

    private_postgres.stop()
    page = client.post("/compte/connexion", data=login)
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert UNAVAILABLE in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert "<h1>Service indisponible</h1>" in html
    api = client.get("/api/me", headers=bearer)
    assert api.status_code == 503
    assert UNAVAILABLE in api.json["message"]
    # A signed-in member still gets the pages that need no database (the home page)…
    home = member.get("/")
    assert home.status_code == 200
    assert "La Boîte à outils des circuits courts" in home.get_data(as_text=True)
    # …and the calm 503 page, not a crash, where the database is needed.
    account = member.post("/compte/connexion", data=login)
    assert account.status_code == 503
    assert UNAVAILABLE in account.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["checks"]["database"]["ok"] is False

    private_postgres.start()
    # The same app object, its pool full of dead connections: pool_pre_ping replaces them.
    check_up()
    check_up()
    assert member.get("/compte/").status_code == 200
    with app.app_context():
        db.engine.dispose()  # close the pool before the private server goes away


# --------------------------------------------------------------------------- Redis
def _start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", "short,long",
         "--pool", "solo", "--loglevel", "INFO", "--hostname", f"proof-{os.getpid()}@localhost",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _job_states(ids: list[int]) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(ProcessingJob.id, ProcessingJob.state).where(ProcessingJob.id.in_(ids))
    ).all()
    db.session.rollback()  # end the read transaction: the worker writes to the same database
    return {job_id: JobState(state).value for job_id, state in rows}


@pytest.mark.slow
@pytest.mark.ffmpeg
def test_no_job_is_lost_when_redis_restarts_during_jobs(
    app_factory, private_redis, tmp_path, monkeypatch
):
    """Redis keeps no copy on disk here, so its messages die with it: the job rows are the truth.

    A real worker process runs the first job while two more wait in Redis; Redis is killed and
    started empty; the worker reconnects by itself, the sweeper re-sends what the rows say is still
    queued, and every job ends succeeded with one set of renditions.
    """
    app = app_factory(
        CELERY={"broker_url": private_redis.url},
        # Any queued job counts as stale at once, so the sweeper's pass is decisive in the test.
        MEDIA={"queued_stale_s": 0},
    )
    samples = [_tone_mp3(tmp_path / f"entretien-{i}.mp3", 6, 300 + 100 * i) for i in range(3)]
    with app.app_context():
        from app.media.jobs import enqueue_processing, sweep_stuck_jobs

        assets = [_add_audio_asset(path, f"Entretien {i}") for i, path in enumerate(samples)]
        db.session.commit()
        originals = {a.id: a.original.sha256 for a in assets}
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FLASK_SECRET_KEY": "proof-worker-secret",
            "FLASK_INSTANCE_PATH": str(tmp_path / "worker-instance"),
            "FLASK_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLASK_CELERY__broker_url": private_redis.url,
            "FLASK_STORAGE__root": app.config["STORAGE"]["root"],
        }
        worker = _start_worker(env, tmp_path / "worker.log")
        try:
            jobs = [enqueue_processing(asset) for asset in assets]
            ids = [job.id for job in jobs]
            db.session.remove()
            # Wait until the worker is busy with a job, the others still queued in Redis.
            _wait_for(
                lambda: JobState.RUNNING.value in _job_states(ids).values(), 60,
                "the worker to start a job",
            )
            private_redis.kill()
            states_at_crash = _job_states(ids)
            assert JobState.QUEUED.value in states_at_crash.values(), states_at_crash
            private_redis.start()

            sweep_stuck_jobs()  # what the beat schedule runs every few minutes
            db.session.remove()
            final = _wait_for(
                lambda: (s := _job_states(ids))
                and all(v in ("succeeded", "failed") for v in s.values())
                and s,
                180,
                "every job to finish",
            )
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        log_text = (tmp_path / "worker.log").read_text(errors="replace")
        assert final == {job_id: "succeeded" for job_id in ids}, log_text[-3000:]
        db.session.expire_all()
        for asset in db.session.scalars(sa.select(MediaAsset)):
            assert asset.status == AssetStatus.READY
            current = [r for r in asset.renditions if r.is_current]
            kinds = [r.kind for r in current]
            assert sorted(kinds) == sorted(set(kinds)), f"duplicate renditions: {kinds}"
            assert "audio_edition" in kinds and "waveform" in kinds
            assert asset.original.sha256 == originals[asset.id]
        # One run per job: no job was processed twice after the restart.
        attempts = db.session.scalars(sa.select(ProcessingJob.attempts)).all()
        assert all(a == 1 for a in attempts), attempts
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rendition)) == sum(
            len(a.renditions) for a in db.session.scalars(sa.select(MediaAsset))
        )


# --------------------------------------------------------------------------- full disk
class FullDiskStorage(LocalStorage):
    """Local storage on a disk with ``free`` bytes left: writing past them fails with ENOSPC."""

    def __init__(self, root, free: int):
        super().__init__(root)
        self.free = free

    def save(self, key, fileobj, *, content_type=None):
        storage = self

        class Filling(io.RawIOBase):
            def read(self, size=-1):
                chunk = fileobj.read(size)
                storage.free -= len(chunk)
                if storage.free < 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return chunk

        return super().save(key, Filling(), content_type=content_type)

    def save_path(self, key, source, *, move=False):
        # A full disk fails a copy as well as a move between filesystems: always copy here.
        with open(source, "rb") as fh:
            return self.save(key, fh)


@pytest.mark.ffmpeg
def test_full_disk_fails_the_job_with_a_clear_reason_and_keeps_the_original(app, tmp_path):
    from app.media import pipeline
    from app.media.jobs import create_job

    asset = _add_audio_asset(_tone_mp3(tmp_path / "entretien.mp3", 4, 440), "Entretien")
    job = create_job(asset)
    db.session.commit()
    original_key, original_sha = asset.original.key, asset.original.sha256
    root = Path(app.config["STORAGE"]["root"])
    before = {p for p in root.rglob("*") if p.is_file()}
    # The original is stored; only a few kilobytes are left for the renditions.
    app.extensions["storage"]["local"] = FullDiskStorage(root, free=4096)

    with pytest.raises(OSError) as raised:
        pipeline.run_job(job.id, worker="proof@localhost")
    assert raised.value.errno == errno.ENOSPC

    db.session.expire_all()
    job = db.session.get(ProcessingJob, job.id)
    assert job.state == JobState.FAILED
    assert "espace disque insuffisant" in (job.error or "").lower(), job.error
    assert job.asset.status == AssetStatus.FAILED
    assert job.asset.renditions == []
    # The original is intact and nothing half-written is left in storage.
    path = root / original_key
    assert hashlib.sha256(path.read_bytes()).hexdigest() == original_sha
    after = {p for p in root.rglob("*") if p.is_file()}
    assert after == before, sorted(str(p.relative_to(root)) for p in after - before)
