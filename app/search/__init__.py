"""Site-wide search: one index (search_documents) fed by every feature, one search page.

Features call app.search.operations.index_document / remove_document for their objects.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.api import register
    from app.extensions import db
    from app.search import api, ddl, models, views  # noqa: F401 - models registers the tables
    from app.search.operations import KINDS, type_label

    ddl.listen(db.metadata)
    app.register_blueprint(views.bp)
    register(api.blp)
    app.jinja_env.globals["kind_label"] = lambda kind: KINDS.get(kind, kind)
    app.jinja_env.globals["type_label"] = type_label
