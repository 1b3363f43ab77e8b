"""The pure media layer must stay importable by workers and scripts without a database."""

import subprocess
import sys
from pathlib import Path

PURE_MODULES = ("profiles", "probe", "transcode", "runner", "audio", "tagging", "chapters")
FORBIDDEN = (
    "sqlalchemy",
    "flask_sqlalchemy",
    "celery",
    "app.extensions",
    "app.media.models",
    "app.media.storage",
    "workers",
    "feeds",
)


def test_the_pure_media_modules_import_no_database_storage_or_worker():
    # A fresh interpreter, since this test session has already imported the whole app.
    imports = ", ".join(f"app.media.{name}" for name in PURE_MODULES)
    code = f"import sys, {imports}; print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"
