import pytest

from app import ConfigError, create_app
from app.config import DEV_SECRET_KEY


def test_refuses_production_start_with_development_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="FLASK_SECRET_KEY"):
        create_app()


def test_starts_in_production_with_a_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-real-secret-from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert not app.debug and not app.testing


def test_debug_mode_accepts_the_development_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    assert create_app().config["SECRET_KEY"] == DEV_SECRET_KEY


def test_embedded_defaults_live_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'circuits-courts.db'}"
    assert app.config["STORAGE"]["root"] == str(tmp_path / "media")
    celery = app.extensions["celery"]
    assert celery.conf.broker_url == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()


def test_environment_overrides_defaults_and_tests_override_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_STORAGE__backend", "s3")
    monkeypatch.setenv("FLASK_STORAGE__bucket", "from-env")
    monkeypatch.setenv("FLASK_CELERY__broker_url", "redis://127.0.0.1:6379/5")
    app = create_app({"TESTING": True, "STORAGE": {"bucket": "from-test"}})
    assert app.config["STORAGE"]["backend"] == "s3"
    assert app.config["STORAGE"]["bucket"] == "from-test"
    # Untouched nested defaults survive a partial override.
    assert app.config["STORAGE"]["multipart_threshold"] == 8 * 1024 * 1024
    assert app.extensions["celery"].conf.broker_url == "redis://127.0.0.1:6379/5"


def test_web_processes_leave_heavy_libraries_for_when_they_are_used(tmp_path):
    """Memory (issue 3: an upload server under 100 MB): the app starts without Alembic, fpdf,
    Pillow, icalendar, feedgen/lxml, ffmpeg-python, mutagen, pydub or the media pipeline; each
    loads where it is used (a migration, a PDF, a cover, a calendar, a feed, a worker job)."""
    import os
    import subprocess
    import sys

    heavy = ["alembic", "fpdf", "PIL", "icalendar", "feedgen", "lxml", "ffmpeg", "mutagen",
             "pydub", "app.media.pipeline", "app.tts.pipeline"]  # fmt: skip
    code = (
        "import sys; from app import create_app; create_app(); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    env = {
        **os.environ,
        "FLASK_INSTANCE_PATH": str(tmp_path / "instance"),
        "FLASK_SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789",
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
