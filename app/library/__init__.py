"""Se documenter: the resource library (wiki-like guides with review), proposals, theme pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.library import models  # noqa: F401 - registers the tables
