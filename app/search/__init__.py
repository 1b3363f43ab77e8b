"""Site-wide search: one index (search_documents) fed by every feature, one search page.

Features call app.search.operations.index_document / remove_document for their objects.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.extensions import db
    from app.search import ddl, models  # noqa: F401 - registers the tables

    ddl.listen(db.metadata)
