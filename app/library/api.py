"""JSON API of the library under /api/library: published resources and themes (read-only)."""

from flask import abort, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.core.text import render_markdown
from app.library import operations
from app.library.models import ResourceKind

blp = Blueprint(
    "library_api",
    __name__,
    url_prefix="/api/library",
    description="Ressources publiées de la bibliothèque et thèmes",
)


class LibraryThemeSchema(Schema):
    id = fields.Int()
    slug = fields.Str()
    name = fields.Str()


class LibraryResourceSummarySchema(Schema):
    id = fields.Int()
    slug = fields.Str()
    title = fields.Str()
    summary = fields.Str()
    kind = fields.Str()
    origin = fields.Str()
    url = fields.Method("get_url")
    external_url = fields.Str(allow_none=True)
    source_organisation = fields.Str()
    licence = fields.Str()
    language = fields.Str()
    reading_minutes = fields.Int(allow_none=True)
    themes = fields.List(fields.Nested(LibraryThemeSchema))
    audiences = fields.List(fields.Str())
    territories = fields.List(fields.Str())
    published_dt = fields.DateTime()
    verified_dt = fields.DateTime(allow_none=True)

    def get_url(self, resource):
        return url_for("library.resource", slug=resource.slug, _external=True)


class LibraryResourceSchema(LibraryResourceSummarySchema):
    body_markdown = fields.Method("get_body")
    body_html = fields.Method("get_html")
    revision = fields.Method("get_revision")

    def get_body(self, resource):
        return resource.published_revision.body

    def get_html(self, resource):
        return str(render_markdown(resource.published_revision.body))

    def get_revision(self, resource):
        return resource.published_revision.number


class LibraryResourceQuerySchema(Schema):
    type = fields.Str(load_default=None, validate=validate.OneOf([k.value for k in ResourceKind]))
    theme = fields.Str(load_default=None, metadata={"description": "theme slug"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


@blp.route("/resources")
@blp.arguments(LibraryResourceQuerySchema, location="query")
@blp.response(200, LibraryResourceSummarySchema(many=True))
def list_resources(args):
    """List published resources, newest first."""
    theme = None
    if args["theme"]:
        theme = operations.get_theme(args["theme"])
        if theme is None:
            abort(404)
    return operations.list_published(kind=args["type"], theme=theme, limit=args["limit"])


@blp.route("/resources/<slug>")
@blp.response(200, LibraryResourceSchema)
def get_resource(slug):
    """Get one published resource with its text (Markdown and sanitised HTML)."""
    resource, _old = operations.get_resource_by_slug(slug)
    if resource is None or not resource.is_published:
        abort(404)
    return resource


@blp.route("/themes")
@blp.response(200, LibraryThemeSchema(many=True))
def list_themes():
    """List the active themes."""
    return operations.get_themes()
