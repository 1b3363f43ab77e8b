"""JSON search API under /api/search."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.core.routing import MAX_ID
from app.search.operations import search
from app.search.views import filters_from_args

blp = Blueprint(
    "search_api",
    __name__,
    url_prefix="/api/search",
    description="Recherche dans tout le site (ressources, formations, épisodes, annuaire, agenda)",
)


class SearchQuerySchema(Schema):
    q = fields.Str(load_default="", validate=validate.Length(max=200))
    kind = fields.List(fields.Str(), load_default=list)
    theme = fields.List(fields.Int(validate=validate.Range(min=1, max=MAX_ID)), load_default=list)
    territory = fields.List(fields.Str(), load_default=list)
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=500))
    per_page = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))


class SearchHitSchema(Schema):
    kind = fields.Str(attribute="document.kind")
    id = fields.Int(attribute="document.object_id")
    type = fields.Str(attribute="document.type")
    title = fields.Str(attribute="document.title")
    url = fields.Str(attribute="document.url")
    territory = fields.Str(attribute="document.territory", allow_none=True)
    date = fields.DateTime(attribute="document.date_dt", allow_none=True)
    snippet_html = fields.Function(
        lambda hit: str(hit.snippet),
        metadata={"description": "excerpt, HTML-escaped, matches in <mark>"},
    )


class FacetSchema(Schema):
    value = fields.Str()
    label = fields.Str()
    count = fields.Int()
    selected = fields.Bool()


class SearchResultSchema(Schema):
    query = fields.Str()
    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()
    hits = fields.List(fields.Nested(SearchHitSchema))
    facets = fields.Dict(keys=fields.Str(), values=fields.List(fields.Nested(FacetSchema)))


@blp.route("")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchResultSchema)
def search_api(args):
    """Search everything the caller may see; facets by kind, theme and territory."""
    filters = filters_from_args(request.args)
    return search(args["q"].strip(), filters, page=args["page"], per_page=args["per_page"])
