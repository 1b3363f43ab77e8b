"""Application factory."""

import importlib
import os
from pathlib import Path

from flask import Flask

from app.config import DEFAULTS, DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent

#: Feature packages, each exposing ``init_app(app)`` in its ``__init__``; order is the menu's.
FEATURES = (
    "app.core",
    "app.auth",
    "app.media",
    "app.api",
    "app.demo",
    "app.library",
    "app.search",
    "app.network",
    "app.podcasts",
    "app.courses",
    "app.tts",
)


class ConfigError(RuntimeError):
    """Raised when the app is asked to start with an unsafe or incomplete configuration."""


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* environment, then test overrides; then features."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("FLASK_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(_copy(DEFAULTS))
    app.config.from_prefixed_env()
    if test_config:
        _merge(app.config, test_config)
    _derive_paths(app)
    _refuse_unsafe(app)

    from app import extensions
    from app.core.routing import IdConverter

    # Before any blueprint: every <int:…> in a URL is a database id that fits an INTEGER column.
    app.url_map.converters["int"] = IdConverter

    extensions.db.init_app(app)
    if extensions.under_flask_command():
        extensions.init_migrate(app)
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.babel.init_app(app, locale_selector=extensions.select_locale)
    extensions.api.init_app(app)
    extensions.celery_init_app(app)

    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    return app


def _derive_paths(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'circuits-courts.db'}"
    app.config["STORAGE"].setdefault("root", None)
    if not app.config["STORAGE"]["root"]:
        app.config["STORAGE"]["root"] = str(instance / "media")
    if not app.config["MAIL"].get("outbox"):
        app.config["MAIL"]["outbox"] = str(instance / "mail")


def _refuse_unsafe(app: Flask) -> None:
    if app.debug or app.testing:
        return
    if not app.config["SECRET_KEY"] or app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError(
            "Refusing to start with the development secret key. Set FLASK_SECRET_KEY to a long "
            "random value, e.g. FLASK_SECRET_KEY=\"$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')\"."
        )


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _merge(target, overrides: dict) -> None:
    """Merge overrides into the config, one level deep for dict settings."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
