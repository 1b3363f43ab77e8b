"""Accounts, roles, sessions and API tokens."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.auth import cli, security, views

    app.register_blueprint(views.bp)
    app.register_blueprint(cli.bp)
    app.before_request(security.check_csrf)
    app.after_request(security.set_security_headers)
