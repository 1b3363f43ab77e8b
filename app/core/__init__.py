"""Layout-wide pages: home, language switch, health, errors, template helpers."""

from flask import Flask
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    from sqlalchemy.exc import OperationalError

    from app.core import templating, views

    app.register_blueprint(views.bp)
    app.before_request(views.refuse_nul_bytes)
    app.register_error_handler(HTTPException, views.handle_http_error)
    app.register_error_handler(OperationalError, views.handle_database_down)
    if not app.testing:  # tests see real tracebacks
        app.register_error_handler(Exception, views.handle_unexpected)
    templating.init_app(app)
