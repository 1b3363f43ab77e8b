"""The "Écouter ce guide" block in a real Chromium: the MP3 plays and chapters seek."""

import time

import pytest

from app.extensions import db
from app.tts import operations, pipeline
from tests.tts.conftest import GUIDE_CHAPTERS

pytestmark = [pytest.mark.browser, pytest.mark.espeak, pytest.mark.ffmpeg]


@pytest.fixture
def app(app_factory):
    application = app_factory(TTS_SPEED=260, TTS_ENGINE="espeak")
    with application.app_context():
        yield application


def _wait_until(page, expression: str, timeout_s: float = 10) -> None:
    # wait_for_function evaluates a string, which the site's CSP (no unsafe-eval) forbids.
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"() => Boolean({expression})"):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.1)


def test_the_player_loads_the_edition_and_chapters_seek(live_server, page, make_guide):
    resource = make_guide()
    job = operations.request_edition(resource, enqueue=False)
    db.session.commit()
    assert pipeline.run_job(job.id) == "succeeded"
    duration = operations.get_edition(resource.id).duration_s
    chapters = operations.get_edition(resource.id).asset.chapters

    problems = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
    page.goto(f"{live_server.url}/guides-audio/{resource.id}")
    assert page.get_by_role("heading", name="Écouter ce guide").is_visible()
    assert page.get_by_text("Voix de synthèse", exact=True).is_visible()

    player = "document.querySelector('audio.tts-player')"
    page.evaluate(f"{player}.load()")
    _wait_until(page, f"{player}.readyState >= 1 && isFinite({player}.duration)")
    assert abs(page.evaluate(f"{player}.duration") - duration) < 0.5

    page.get_by_text("Chapitres (4)").click()
    page.get_by_role("button", name=GUIDE_CHAPTERS[2]).click()
    _wait_until(page, f"{player}.currentTime >= {chapters[2]['start'] - 0.05}")
    assert page.evaluate(f"{player}.currentTime") < chapters[3]["start"]
    assert problems == []
