"""Se mettre en réseau: directory of people and organisations, agenda and exchange space."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.network import agenda_models, exchange_models, models, views  # noqa: F401

    app.register_blueprint(views.bp)
