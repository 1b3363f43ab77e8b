"""Media: storage, resumable uploads, the processing pipeline, jobs, renditions and their pages.

Other features use three doors (see README "Media pipeline"):
- ``app.media.hooks.register_ready_listener(fn)``: ``fn(asset)`` runs in the worker when an
  asset's renditions are published (attach the replay to a session, the episode to a show);
  ``register_metadata_provider(fn)`` gives the ID3 tags and jingles of an asset;
- ``app.media.serving.media_url(stored_file)`` / ``signed_media_url(stored_file, expires_in)``:
  URLs of the generic serving route ``/media/<file_id>/<name>.<ext>``;
- ``app.media.jobs.enqueue_processing(asset)``: send an asset through the pipeline.
"""

from typing import Any

from flask import Flask

#: Settings of the media feature; override with FLASK_MEDIA__<key> or the MEDIA test config.
MEDIA_DEFAULTS = {
    # Largest recording accepted by the tus endpoint (bytes).
    "upload_max_size": 8 * 1024**3,
    # Unfinished uploads are swept this long after their last chunk.
    "upload_expiry_s": 24 * 3600,
    # Celery time limits: factor × duration + base (the reference's "3 × duration + 10 min").
    "time_limit_factor": 3.0,
    "time_limit_base_s": 600,
    # Assumed duration before the probe ran (first processing).
    "default_duration_s": 4 * 3600,
    # A running job's worker writes a heartbeat this often; silent this long = worker lost.
    "heartbeat_interval_s": 10,
    "heartbeat_stale_s": 120,
    # A queued job whose message seems lost is re-sent after this long (a duplicate message is
    # harmless: one delivery claims the job, the other skips it).
    "queued_stale_s": 1800,
    # Runs of one job (first try, redeliveries, retries) before the sweeper gives up.
    "max_attempts": 3,
    # Transient errors (storage, network) are retried by the task this many times, with backoff.
    "task_max_retries": 2,
    "sweep_interval_s": 300,
    # Renditions replaced by a reprocess or an edit stay online this long (open players,
    # podcast apps holding yesterday's feed), then the sweeper deletes them.
    "replaced_retention_s": 7 * 24 * 3600,
    # Lifetime of signed URLs to members-only media.
    "signed_url_expiry_s": 6 * 3600,
}


def N_(msgid: str) -> str:  # noqa: N802 - gettext's name for "mark now, translate when shown"
    """Mark a French sentence for the catalogue; it is translated where it is shown."""
    return msgid


class SentenceError(Exception):
    """An error whose message is a French sentence (its msgid) with its values.

    The pure modules (probe, runner, the tts engines) must load without SQLAlchemy, which
    ``app.core.i18n`` brings along: they raise the msgid, marked with ``N_``, and ``sentence``
    makes it a ``Message`` (translated when read) once a page or a job row needs it.
    """

    def __init__(self, msgid: str, /, **params: Any):
        # A Message given as is keeps its own msgid and values.
        params = {**getattr(msgid, "params", {}), **params}
        msgid = getattr(msgid, "msgid", msgid)
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params

    @property
    def sentence(self):
        """The message as an ``app.core.i18n.Message``, in the reader's language when shown."""
        from app.core.i18n import Message

        return Message(self.msgid, **self.params)


def init_app(app: Flask) -> None:
    from app.media import (
        models,  # noqa: F401 - registers the tables
        tus,
        views,
    )

    app.config["MEDIA"] = {**MEDIA_DEFAULTS, **(app.config.get("MEDIA") or {})}
    app.config["STORAGE"].setdefault("upload_buffer_dir", None)
    if not app.config["STORAGE"]["upload_buffer_dir"]:
        app.config["STORAGE"]["upload_buffer_dir"] = f"{app.instance_path}/upload-buffers"
    from app.api import register
    from app.media import api

    app.register_blueprint(tus.bp)
    app.register_blueprint(views.bp)
    register(api.blp)
    views.init_templating(app)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule.update(
        {
            "media-sweep": {
                "task": "media.sweep",
                "schedule": float(app.config["MEDIA"]["sweep_interval_s"]),
                "options": {"queue": "short"},
            }
        }
    )
