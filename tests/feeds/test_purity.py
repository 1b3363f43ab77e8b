"""The feed builders stay pure: importing them pulls in neither Flask nor the database."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_builders_import_neither_flask_nor_the_database():
    # A fresh interpreter, since this test session has already imported the app.
    code = (
        "import sys, feeds.podcast, feeds.ical, feeds.opml, feeds.transcripts;"
        "print(sorted(m for m in ('flask', 'flask_sqlalchemy', 'sqlalchemy', 'app')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert result.stdout.strip() == "[]"
