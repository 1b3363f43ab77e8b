"""The JSON API under /api/, described by OpenAPI 3 at /api/openapi.json.

Features add their endpoints with ``app.api.register(blueprint)`` from their own ``init_app``.
Authentication: the browser session (with the CSRF token in X-CSRFToken for writes) or an API
token in ``Authorization: Bearer …`` (``flask users token EMAIL``).
"""

from flask import Flask
from flask_smorest import Blueprint

from app.extensions import api


def register(blueprint: Blueprint) -> None:
    """Add a feature's API blueprint to the OpenAPI document and the app."""
    api.register_blueprint(blueprint)


def init_app(app: Flask) -> None:
    from app.api import views

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API token"}
    )
    api.spec.components.security_scheme(
        "sessionCookie", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    register(views.blp)
