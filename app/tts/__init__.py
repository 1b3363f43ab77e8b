"""Audio editions of written guides: text-to-speech episodes with chapters and transcripts.

Pure layer, without database or web: text.py (Markdown → sections) and french.py (words to say)
→ engines.py (espeak-ng, Piper) → cache.py (section audio by content hash) → assemble.py (one
WAV, chapters) → transcript.py (timed cues, plain text); edition.py chains them.
Feature layer: models.py (GuideEdition), operations.py (ask for an edition, enqueue after
commit, the "revision published" listener), pipeline.py (the job run by ``tts.generate``),
views.py / api.py (button, status, transcript), listen.py (the "Écouter ce guide" block),
cleanup.py (the daily pruning of cached sections no edition uses, ``tts.prune_section_cache``).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here: the pure layer (app.tts.text, engines, cache…) must load without Celery.
    from celery.schedules import crontab

    from app.api import register
    from app.core.signals import revision_published
    from app.media.steps import register_step_labels
    from app.tts import api, listen, models, operations, views  # noqa: F401 - registers tables
    from app.tts.steps import STEP_LABELS

    register_step_labels(STEP_LABELS)  # the media job page names the steps of guide jobs too
    operations.install_session_hooks()
    # weak=False: the listener is a module function, kept for the app's lifetime anyway.
    revision_published.connect(operations.on_revision_published, weak=False)
    app.register_blueprint(views.bp)
    register(api.blp)
    app.jinja_env.globals["tts_edition_for"] = listen.tts_edition_for
    app.jinja_env.globals["tts_guide_url"] = listen.guide_url
    app.extensions["celery"].conf.beat_schedule.update(
        {
            "tts.prune_section_cache": {
                "task": "tts.prune_section_cache",
                "schedule": crontab(hour=4, minute=20),
                "options": {"queue": "short"},
            }
        }
    )
