"""JSON API: podcast shows and episodes (read for listeners, write for animators)."""

from flask import abort, current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.models import Role
from app.auth.security import role_required
from app.extensions import db
from app.media.models import MediaAsset
from app.podcasts import operations, syndication

blp = Blueprint(
    "api_podcasts",
    __name__,
    url_prefix="/api/podcasts",
    description="Émissions et épisodes de podcast",
)


class ShowSchema(Schema):
    slug = fields.Str(required=True)
    title = fields.Str(required=True)
    description = fields.Str()
    language = fields.Str()
    author = fields.Str()
    kind = fields.Function(lambda s: s.kind.value)
    visibility = fields.Function(lambda s: s.visibility.value)
    show_type = fields.Function(lambda s: s.show_type.value)
    medium = fields.Str()
    apple_category = fields.Str()
    apple_subcategory = fields.Str(allow_none=True)
    explicit = fields.Bool()
    podcast_guid = fields.Str()
    feed_url = fields.Function(lambda s: syndication.feed_url(s) if s.is_public else None)
    page_url = fields.Function(lambda s: url_for("podcasts.show", slug=s.slug, _external=True))
    artwork_url = fields.Function(syndication.artwork_url)


class ShowInputSchema(Schema):
    slug = fields.Str(validate=validate.Regexp(r"^[a-z0-9-]{1,100}$"))
    title = fields.Str(required=True, validate=validate.Length(min=1, max=255))
    description = fields.Str(load_default="")
    language = fields.Str(load_default="fr", validate=validate.Regexp(r"^[a-z]{2}(-[a-z]{2})?$"))
    author = fields.Str(load_default="Open Food France")
    kind = fields.Str(
        load_default="standalone", validate=validate.OneOf(["standalone", "course", "guides"])
    )
    visibility = fields.Str(
        load_default="public", validate=validate.OneOf(["public", "registered", "members"])
    )
    show_type = fields.Str(load_default="episodic", validate=validate.OneOf(["episodic", "serial"]))
    apple_category = fields.Str(load_default="Arts")
    apple_subcategory = fields.Str(load_default="Food", allow_none=True)
    explicit = fields.Bool(load_default=False)


class EpisodeSchema(Schema):
    id = fields.Int()
    guid = fields.Str()
    title = fields.Str()
    description = fields.Str()
    pub_dt = fields.DateTime(allow_none=True)
    season = fields.Int(allow_none=True)
    number = fields.Int(allow_none=True)
    episode_type = fields.Function(lambda e: e.episode_type.value)
    synthetic_voice = fields.Bool()
    duration_s = fields.Function(lambda e: e.audio.duration_s if e.audio else None)
    enclosure_url = fields.Function(
        lambda e: syndication.enclosure_url(e, e.audio) if e.audio and e.show.is_public else None
    )
    enclosure_length = fields.Function(lambda e: e.audio.file.size if e.audio else None)
    page_url = fields.Function(
        lambda e: url_for("podcasts.episode", slug=e.show.slug, episode_id=e.id, _external=True)
    )


class EpisodeInputSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=255))
    description = fields.Str(load_default="")
    asset_id = fields.Int(required=True)
    pub_dt = fields.AwareDateTime(load_default=None, allow_none=True)
    season = fields.Int(load_default=None, validate=validate.Range(min=1), allow_none=True)
    number = fields.Int(load_default=None, validate=validate.Range(min=1), allow_none=True)
    episode_type = fields.Str(
        load_default="full", validate=validate.OneOf(["full", "trailer", "bonus"])
    )
    synthetic_voice = fields.Bool(load_default=False)


def _visible_show(slug):
    show = operations.get_show(slug)
    if show is None or not (
        operations.can_listen(current_user, show) or operations.can_manage(current_user)
    ):
        abort(404)
    return show


@blp.route("/shows")
@blp.response(200, ShowSchema(many=True))
def list_shows():
    """List the shows the caller may listen to."""
    from app.podcasts.models import Show

    shows = db.session.scalars(db.select(Show).order_by(Show.title)).all()
    return [s for s in shows if operations.can_listen(current_user, s)]


@blp.route("/shows", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@role_required(Role.ANIMATOR)
@blp.arguments(ShowInputSchema)
@blp.response(201, ShowSchema)
def create_show(data):
    """Create a show (animators)."""
    try:
        show = operations.create_show(created_by_id=current_user.id, **data)
    except operations.PodcastError as exc:
        db.session.rollback()
        abort(409, str(exc))
    db.session.commit()
    return show


@blp.route("/shows/<slug>")
@blp.response(200, ShowSchema)
def get_show(slug):
    """Return one show."""
    return _visible_show(slug)


@blp.route("/shows/<slug>/episodes")
@blp.response(200, EpisodeSchema(many=True))
def list_episodes(slug):
    """List the show's published episodes, newest first."""
    return operations.live_episodes(_visible_show(slug))


@blp.route("/shows/<slug>/episodes", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@role_required(Role.ANIMATOR)
@blp.arguments(EpisodeInputSchema)
@blp.response(201, EpisodeSchema)
def create_episode(data, slug):
    """Add an episode from a media asset (animators); dated now unless pub_dt is given."""
    show = _visible_show(slug)
    asset = db.session.get(MediaAsset, data.pop("asset_id"))
    if asset is None:
        abort(422, _("Enregistrement inconnu."))
    pub_dt = data.pop("pub_dt") or current_app.extensions["podcasts"]["clock"]()
    try:
        episode = operations.publish_episode(show, asset=asset, pub_dt=pub_dt, **data)
    except operations.PodcastError as exc:
        db.session.rollback()
        abort(422, str(exc))
    db.session.commit()
    return episode
