"""The site-wide search page."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.core.routing import MAX_ID
from app.search import operations
from app.search.operations import KINDS, Filters, visibilities_for

bp = Blueprint("search", __name__, url_prefix="/recherche")

PER_PAGE = 20


def filters_from_args(args) -> Filters:
    """Read facet filters from query arguments (kind, theme, territory; each repeatable)."""
    kinds = tuple(k for k in args.getlist("kind") if k)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        abort(400, _("Type inconnu : %(kind)s", kind=unknown[0]))
    try:
        theme_ids = tuple(int(t) for t in args.getlist("theme") if t)
    except ValueError:
        abort(400, _("Thème invalide."))
    if any(not 0 < t <= MAX_ID for t in theme_ids):
        abort(400, _("Thème invalide."))
    territories = tuple(t[:120] for t in args.getlist("territory") if t)
    return Filters(
        kinds=kinds,
        theme_ids=theme_ids,
        territories=territories,
        visibility=visibilities_for(current_user),
    )


@bp.get("/")
def search():
    """The search page: a query, facets by type, theme and territory, highlighted excerpts."""
    query = request.args.get("q", "").strip()[:200]
    filters = filters_from_args(request.args)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    results = operations.search(query, filters, page=page, per_page=PER_PAGE)
    return render_template("search/index.html", query=query, results=results, filters=filters)
