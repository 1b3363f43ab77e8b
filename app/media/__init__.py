"""Media: storage, stored files, and (as the pipeline lands) uploads, jobs and renditions."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.media import models  # noqa: F401 - registers the tables
