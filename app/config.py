"""Default settings: one mapping, overridden by FLASK_* environment variables, then by tests.

Nested settings are dicts; set one key from the environment with a double underscore, e.g.
``FLASK_STORAGE__backend=s3`` or ``FLASK_CELERY__broker_url=redis://127.0.0.1:6379/0``.
Paths left as ``None`` are derived from the instance folder in ``app.create_app``.
"""

#: The key shipped for development; the app refuses to start with it outside debug/testing.
DEV_SECRET_KEY = "dev-not-secret-change-me"  # noqa: S105 - refused outside debug/testing

DEFAULTS = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "SITE_NAME": "La Boîte à outils des circuits courts",
    # Base URL for absolute links built outside a request (mails sent by workers).
    "SITE_URL": "http://localhost:5000",
    # None → sqlite:///<instance>/circuits-courts.db
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "STORAGE": {
        "backend": "local",  # "local" or "s3"
        "root": None,  # None → <instance>/media
        "bucket": "circuits-courts",
        "endpoint_url": None,  # S3-compatible endpoint (MinIO, Scaleway, OVH, Garage…)
        "region": "us-east-1",
        "access_key_id": None,  # None → boto3's usual chain (env, profile, role)
        "secret_access_key": None,
        "prefix": "",
        "multipart_threshold": 8 * 1024 * 1024,
        "multipart_chunksize": 8 * 1024 * 1024,
        "presign_expiry": 3600,
    },
    "CELERY": {
        "broker_url": None,  # None → kombu's filesystem transport under <instance>/broker
        "task_ignore_result": True,  # job rows, not Celery results, are the source of truth
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": "short",
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {},
        "timezone": "Europe/Paris",
    },
    "MAIL": {
        "server": None,  # None → messages are written to <instance>/mail as .eml files
        "port": 587,
        "username": None,
        "password": None,
        "use_tls": True,
        "use_ssl": False,
        "sender": "La Boîte à outils <ne-pas-repondre@circuits-courts.local>",
        "outbox": None,
    },
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
    "LANGUAGES": {"fr": "Français", "en": "English"},
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_LOGIN": "10 per minute",
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "ACCOUNT_CONFIRM_MAX_AGE": 3 * 24 * 3600,
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in app.auth.security so API tokens can skip it
    "WTF_CSRF_TIME_LIMIT": None,
    "API_TITLE": "La Boîte à outils des circuits courts",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "FFMPEG_BINARY": "ffmpeg",
    "FFPROBE_BINARY": "ffprobe",
    "ESPEAK_BINARY": "espeak-ng",
    # Audio editions of guides (app/tts): "auto" takes Piper when TTS_PIPER_MODEL is usable.
    "TTS_ENGINE": "auto",  # "auto", "espeak" or "piper"
    "TTS_VOICE": "fr",  # espeak-ng voice
    "TTS_SPEED": 160,  # espeak-ng words per minute
    "TTS_PITCH": 50,
    "TTS_PIPER_BINARY": "piper",
    "TTS_PIPER_MODEL": None,  # path to an administrator-provided .onnx voice (and its .json)
    "TTS_PIPER_SPEAKER": None,
    "TTS_WORKERS": None,  # sections synthesised at once; None → up to 4 CPUs
    "TTS_WORKDIR": None,  # scratch directory of the worker; None → the system's temp dir
    "TTS_AUTO_GENERATE": True,  # regenerate when a new revision of a guide is published
    "TTS_SHOW_SLUG": "guides-audio",  # the podcast publishing every guide's edition
    # Cached section audio no edition uses is deleted (daily) once written this many days ago.
    "TTS_SECTION_CACHE_GRACE_DAYS": 30,
}
