"""The worker's entry point: ``celery -A workers.celery_app worker -Q short,long``."""

from app import create_app

#: Modules holding tasks; each feature's tasks live in one module here.
TASK_MODULES = (
    "workers.housekeeping", "workers.courses", "workers.media", "workers.network", "workers.tts",
    "workers.library", "workers.podcasts",
)

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.include = list(TASK_MODULES)
