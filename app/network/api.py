"""JSON API of the directory (visibility respected) and the agenda, under /api/network."""

from datetime import timedelta

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.core.db import utcnow
from app.network import agenda, operations
from app.network.models import OrganisationKind
from app.network.visibility import visible_fields

blp = Blueprint(
    "network_api",
    __name__,
    url_prefix="/api/network",
    description="Annuaire (selon la visibilité des fiches) et agenda",
)


def _viewer():
    return current_user if current_user.is_authenticated else None


class ThemeSchema(Schema):
    slug = fields.Str()
    name = fields.Str()


class TerritorySchema(Schema):
    region_code = fields.Str()
    departement_code = fields.Str()
    commune_code = fields.Str()
    city = fields.Str()


class LinkSchema(Schema):
    label = fields.Str()
    name = fields.Str()
    url = fields.Str()


class ProfileSchema(Schema):
    """A profile as the caller may see it: fields they may not see are absent."""

    kind = fields.Str(metadata={"description": "person or organisation"})
    slug = fields.Str()
    name = fields.Str()
    url = fields.Str()
    organisation_kind = fields.Str()
    headline = fields.Str()
    bio = fields.Str()
    summary = fields.Str()
    description = fields.Str()
    photo_url = fields.Str()
    logo_url = fields.Str()
    themes = fields.List(fields.Nested(ThemeSchema))
    territory = fields.Nested(TerritorySchema)
    address = fields.Dict()
    coordinates = fields.Dict()
    links = fields.List(fields.Nested(LinkSchema))
    social_links = fields.List(fields.Nested(LinkSchema))
    affiliations = fields.List(fields.Dict())
    members = fields.List(fields.Dict())
    public_email = fields.Str()
    public_phone = fields.Str()
    contact_name = fields.Str()
    website = fields.Str()
    ofn_url = fields.Str()
    siret = fields.Str()


class DirectoryQuerySchema(Schema):
    q = fields.Str(load_default="", validate=validate.Length(max=200))
    kind = fields.Str(
        load_default=None, validate=validate.OneOf([k.value for k in OrganisationKind])
    )
    theme = fields.Str(load_default=None)
    departement = fields.Str(load_default=None)


class AgendaItemSchema(Schema):
    uid = fields.Str()
    title = fields.Str()
    kind = fields.Str()
    start_dt = fields.AwareDateTime()
    end_dt = fields.AwareDateTime()
    tzid = fields.Str()
    url = fields.Str()
    mode = fields.Str()
    place = fields.Str()
    city = fields.Str()
    departement_code = fields.Str()
    themes = fields.List(fields.Str())
    organiser = fields.Str()
    status = fields.Str()


class AgendaQuerySchema(Schema):
    theme = fields.Str(load_default=None)
    departement = fields.Str(load_default=None)
    online = fields.Bool(load_default=None)
    days = fields.Int(load_default=90, validate=validate.Range(min=1, max=366))


@blp.route("/people")
@blp.arguments(DirectoryQuerySchema, location="query")
@blp.response(200, ProfileSchema(many=True))
def list_people(args):
    """List the people the caller may see."""
    return operations.search_directory(
        _viewer(), q=args["q"], section="people", theme=args["theme"],
        departement=args["departement"],
    )


@blp.route("/people/<slug>")
@blp.response(200, ProfileSchema)
@blp.alt_response(404, description="Fiche inconnue ou masquée")
def get_person(slug):
    """Return one person as the caller may see them."""
    row = operations.get_person(slug) or abort(404)
    return visible_fields(row, _viewer()) or abort(404)


@blp.route("/organisations")
@blp.arguments(DirectoryQuerySchema, location="query")
@blp.response(200, ProfileSchema(many=True))
def list_organisations(args):
    """List the organisations the caller may see."""
    return operations.search_directory(
        _viewer(), q=args["q"], section="organisations", kind=args["kind"],
        theme=args["theme"], departement=args["departement"],
    )


@blp.route("/organisations/<slug>")
@blp.response(200, ProfileSchema)
@blp.alt_response(404, description="Fiche inconnue ou masquée")
def get_organisation(slug):
    row = operations.get_organisation(slug) or abort(404)
    return visible_fields(row, _viewer()) or abort(404)


@blp.route("/events")
@blp.arguments(AgendaQuerySchema, location="query")
@blp.response(200, AgendaItemSchema(many=True))
def list_events(args):
    """List upcoming agenda items (events and course sessions)."""
    now = utcnow()
    filters = {k: args[k] for k in ("theme", "departement", "online")}
    return agenda.get_agenda_items(now, now + timedelta(days=args["days"]), filters)
