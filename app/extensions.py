"""Extensions, created unbound and attached in ``create_app``."""

from pathlib import Path

from celery import Celery, Task
from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

import app.core.db  # noqa: F401 - registers the SQLite pragmas


class Base(DeclarativeBase):
    # Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
api = Api()


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_migrate(app: Flask) -> None:
    """Attach Flask-Migrate (``flask db …``; the migration tests call it too).

    Alembic and Mako weigh about 12 MB that a web or worker process never uses, so
    ``create_app`` attaches it only under the ``flask`` command.
    """
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=str(MIGRATIONS))


def under_flask_command() -> bool:
    """Tell whether the app is being built by the ``flask`` command line."""
    import click
    from flask.cli import ScriptInfo

    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


def select_locale():
    """Pick the interface language: explicit choice, then the browser's, French by default."""
    from flask import current_app

    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():  # CLI, workers: the default, unless force_locale says otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


babel = Babel()


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app whose tasks run inside a Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    conf = dict(app.config["CELERY"])
    if not conf.get("broker_url"):
        # Embedded default: a broker that needs no server, shared by web and worker processes.
        folder = Path(app.instance_path) / "broker"
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_url"] = "filesystem://"
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
    conf.setdefault("beat_schedule_filename", str(Path(app.instance_path) / "celerybeat-schedule"))
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(conf)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
