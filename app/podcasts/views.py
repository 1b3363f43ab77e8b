"""Écouter: podcast pages, player, embeds, private feeds and the animators' back office."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.models import Role
from app.auth.security import login_required, role_required
from app.core.db import utcnow
from app.core.i18n import translated
from app.extensions import db
from app.media.models import AssetStatus, MediaAsset, RenditionKind
from app.media.serving import signed_media_url
from app.media.storage import get_storage
from app.podcasts import counting, jingles, operations, syndication
from app.podcasts.artwork import ArtworkError
from app.podcasts.forms import EpisodeForm, ImportForm, ShowForm
from app.podcasts.models import Episode, Show, Visibility

# Its own static folder keeps the import page's script with the feature (/ecouter/static/…).
bp = Blueprint(
    "podcasts", __name__, url_prefix="/ecouter", static_folder="static", static_url_path="/static"
)
PARIS = ZoneInfo("Europe/Paris")


def _now() -> datetime:
    return current_app.extensions["podcasts"]["clock"]()


def _show_or_404(slug: str, *, manage: bool = False) -> Show:
    show = operations.get_show(slug)
    if show is None:
        abort(404)
    if manage:
        if not operations.can_manage(current_user):
            abort(403)
    elif not operations.can_listen(current_user, show) and not operations.can_manage(current_user):
        abort(404 if show.visibility == Visibility.MEMBERS else 403)
    return show


def _episode_or_404(show: Show, episode_id: int, *, manage: bool = False) -> Episode:
    episode = db.session.get(Episode, episode_id)
    if episode is None or episode.show_id != show.id or episode.deleted_dt is not None:
        abort(404)
    if not manage and not episode.is_live(_now()):
        abort(404)
    return episode


def _subscription(show: Show) -> dict:
    """Return the feed URLs to offer for a show (public RSS, or a hint to the private feed)."""
    if show.is_public:
        url = syndication.feed_url(show)
        return {"url": url, "private": False, **_app_links(url)}
    return {"url": None, "private": True}


def _app_links(url: str) -> dict:
    bare = url.split("://", 1)[1]
    return {
        "podcast_link": f"podcast://{bare}",
        "pcast_link": f"pcast://{bare}",
        "antennapod_link": f"antennapod-subscribe://{bare}",
    }


# Listening -----------------------------------------------------------------------------------


@bp.get("/")
def index():
    shows = db.session.scalars(sa.select(Show).order_by(Show.title)).all()
    visible = [s for s in shows if operations.can_listen(current_user, s)]
    return render_template(
        "podcasts/index.html",
        shows=[(s, _subscription(s)) for s in visible],
        can_manage=operations.can_manage(current_user),
        opml_url=url_for("feeds.opml", _external=True),
    )


@bp.get("/<slug>/")
def show(slug):
    show = _show_or_404(slug)
    episodes = operations.live_episodes(show, _now())
    return render_template(
        "podcasts/show.html",
        show=show,
        episodes=episodes,
        sub=_subscription(show),
        can_manage=operations.can_manage(current_user),
        artwork_url=syndication.artwork_url(show),
    )


@bp.get("/<slug>/<int:episode_id>")
def episode(slug, episode_id):
    show = _show_or_404(slug)
    episode = _episode_or_404(show, episode_id)
    return render_template(
        "podcasts/episode.html",
        **_player_context(episode),
        sub=_subscription(show),
        can_manage=operations.can_manage(current_user),
    )


def _player_context(episode: Episode) -> dict:
    show = episode.show
    audio = episode.audio
    chapters = syndication.episode_chapters(episode)
    transcript = _transcript_text(episode)
    return {
        "show": show,
        "episode": episode,
        "audio_url": _page_media_url(episode, audio.file_id, audio.file.extension),
        "audio_mime": audio.file.content_type,
        "duration": audio.duration_s or (episode.asset.duration_s if episode.asset else None),
        "chapters": chapters,
        "transcript": transcript,
        "vtt_url": _side_url(episode, "vtt")
        if episode.asset.rendition(RenditionKind.TRANSCRIPT_VTT)
        else None,
        "artwork_url": syndication.artwork_url(show),
        "embed_url": url_for("podcasts.embed", guid=episode.guid, _external=True),
    }


def _page_media_url(episode: Episode, file_id: int, ext: str) -> str:
    """Public shows use the feed's media URL; members listen with their session instead."""
    if episode.show.is_public:
        return url_for("feeds.enclosure", episode_id=episode.id, file_id=file_id, ext=ext)
    return url_for(
        "podcasts.member_media",
        slug=episode.show.slug,
        episode_id=episode.id,
        file_id=file_id,
        ext=ext,
    )


def _side_url(episode: Episode, ext: str) -> str:
    if episode.show.is_public:
        return url_for("feeds.transcript", episode_id=episode.id, ext=ext)
    return url_for(
        "podcasts.member_transcript", slug=episode.show.slug, episode_id=episode.id, ext=ext
    )


def _transcript_text(episode: Episode) -> list[tuple[str, str]]:
    """Return the VTT transcript as (timestamp, text) lines for the page."""
    rendition = episode.asset.rendition(RenditionKind.TRANSCRIPT_VTT) if episode.asset else None
    if rendition is None:
        return []
    try:
        with get_storage(rendition.file.backend).open(rendition.file.key) as fh:
            text = fh.read(2_000_000).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a missing transcript file hides the section only
        return []
    lines, stamp = [], None
    for line in text.splitlines():
        if "-->" in line:
            stamp = line.split("-->")[0].strip()
        elif line.strip() and stamp and not line.startswith("WEBVTT"):
            lines.append((stamp, line.strip()))
    return lines


@bp.get("/<slug>/<int:episode_id>/media/<int:file_id>.<ext>")
@login_required
def member_media(slug, episode_id, file_id, ext):
    """Members-only media for the web player (session auth instead of a feed token)."""
    from feeds.views import _serve_media

    show = _show_or_404(slug)
    return _serve_media(_episode_or_404(show, episode_id), file_id, ext)


@bp.get("/<slug>/<int:episode_id>/transcript.<ext>")
@login_required
def member_transcript(slug, episode_id, ext):
    from feeds.views import _transcript

    show = _show_or_404(slug)
    return _transcript(_episode_or_404(show, episode_id), ext)


@bp.get("/embed/<path:guid>")
def embed(guid):
    episode = operations.get_episode_by_guid(guid)
    if (
        episode is None
        or not episode.show.is_public
        or episode.deleted_dt is not None
        or not episode.is_live(_now())
    ):
        abort(404)
    response = current_app.make_response(
        render_template(
            "podcasts/embed.html",
            **_player_context(episode),
            page_url=url_for(
                "podcasts.episode", slug=episode.show.slug, episode_id=episode.id, _external=True
            ),
        )
    )
    # The one page any site may frame.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: https:; media-src 'self' blob: https:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors *"
    )
    # Marker read by allow_framing, which runs after the security headers are set.
    response.headers["X-Podcasts-Embed"] = "1"
    return response


def allow_framing(response):
    """Drop X-Frame-Options from the embed page once every other hook has run."""
    if response.headers.pop("X-Podcasts-Embed", None):
        response.headers.pop("X-Frame-Options", None)
    return response


@bp.get("/oembed")
def oembed():
    url = request.args.get("url", "")
    if request.args.get("format", "json") != "json":
        abort(501)
    parts = urlsplit(url)
    own = urlsplit(request.host_url)
    if parts.netloc != own.netloc:
        abort(404)
    adapter = current_app.url_map.bind(own.netloc)
    try:
        endpoint, args = adapter.match(parts.path)
    except Exception:  # noqa: BLE001 - not one of our URLs
        abort(404)
    if endpoint == "podcasts.episode":
        episode = db.session.get(Episode, args["episode_id"])
    elif endpoint == "podcasts.embed":
        episode = operations.get_episode_by_guid(args["guid"])
    else:
        abort(404)
    if episode is None or not episode.show.is_public or not episode.is_live(_now()):
        abort(404)
    maxwidth = request.args.get("maxwidth", type=int) or 600
    width, height = min(maxwidth, 600), 200
    src = url_for("podcasts.embed", guid=episode.guid, _external=True)
    return jsonify(
        {
            "version": "1.0",
            "type": "rich",
            "provider_name": current_app.config["SITE_NAME"],
            "provider_url": url_for("core.index", _external=True),
            "title": episode.title,
            "author_name": episode.show.author,
            "thumbnail_url": syndication.artwork_url(episode.show),
            "thumbnail_width": episode.show.artwork_size,
            "thumbnail_height": episode.show.artwork_size,
            "width": width,
            "height": height,
            "html": (
                f'<iframe src="{src}" width="{width}" height="{height}" '
                f'title="{_escape(episode.title)}" loading="lazy" frameborder="0"></iframe>'
            ),
        }
    )


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@bp.route("/mon-flux", methods=["GET", "POST"])
@login_required
def my_feed():
    token = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            operations.revoke_feed_tokens(current_user)
            db.session.commit()
            flash(
                _("Votre lien privé est révoqué : les anciens abonnements ne reçoivent plus rien."),
                "success",
            )
            return redirect(url_for("podcasts.my_feed"))
        token, _row = operations.issue_feed_token(current_user)
        db.session.commit()
    shows = [
        s
        for s in db.session.scalars(sa.select(Show).order_by(Show.title))
        if operations.can_listen(current_user, s)
    ]
    feeds = []
    if token:
        for show in shows:
            url = syndication.feed_url(show, token)
            feeds.append((show, url, _app_links(url)))
    return render_template(
        "podcasts/my_feed.html",
        token=token,
        feeds=feeds,
        shows=shows,
        active=operations.active_feed_token(current_user),
    )


# Back office ---------------------------------------------------------------------------------


@bp.get("/gestion/")
@role_required(Role.ANIMATOR)
def manage():
    shows = db.session.scalars(sa.select(Show).order_by(Show.title)).all()
    counts = {s.id: counting.downloads_count(show_id=s.id) for s in shows}
    return render_template("podcasts/manage.html", shows=shows, counts=counts)


@bp.route("/gestion/nouvelle", methods=["GET", "POST"])
@role_required(Role.ANIMATOR)
def create_show():
    form = ShowForm()
    if form.validate_on_submit():
        category, sub = form.category.data.split("|")
        try:
            show = operations.create_show(
                slug=form.slug.data or operations.slugify(form.title.data),
                **_show_fields(form, category, sub),
                created_by_id=current_user.id,
            )
            if form.cover.data:
                operations.set_show_artwork(show, form.cover.data.stream)
            _apply_jingles(form, show)
        except (operations.PodcastError, ArtworkError, jingles.JingleError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Émission créée."), "success")
            return redirect(url_for("podcasts.edit_show", slug=show.slug))
    return render_template("podcasts/show_form.html", form=form, show=None)


def _apply_jingles(form: ShowForm, show) -> None:
    for place in jingles.PLACES:
        upload = getattr(form, f"jingle_{place}_file").data
        jingles.set_jingle(
            show,
            place,
            getattr(form, f"jingle_{place}").data,
            upload=upload.stream if upload else None,
            filename=upload.filename if upload else "",
        )


def _jingle_urls(show) -> dict[str, str]:
    """Short-lived signed URLs to listen to the show's jingles on its form."""
    urls = {}
    for place in jingles.PLACES:
        stored = jingles.current(show, place)
        if stored is not None:
            urls[place] = signed_media_url(stored, expires_in=3600)
    return urls


def _show_fields(form: ShowForm, category: str, sub: str) -> dict:
    fields = {
        "title": form.title.data,
        "description": form.description.data or "",
        "author": form.author.data,
        "language": form.language.data,
        "apple_category": category,
        "apple_subcategory": sub or None,
        "kind": form.kind.data,
        "show_type": form.show_type.data,
        "visibility": form.visibility.data,
        "explicit": form.explicit.data,
        "locked": form.locked.data,
        "owner_email": form.owner_email.data or None,
        "owner_name": form.author.data if form.owner_email.data else None,
        "persons": [{"name": form.host.data.strip(), "role": "host"}] if form.host.data else None,
    }
    if form.kind.data == "course":
        fields["medium"] = "course"
    if form.kind.data == "guides":
        fields["synthetic_voice"] = True
    return fields


@bp.route("/<slug>/modifier", methods=["GET", "POST"])
@role_required(Role.ANIMATOR)
def edit_show(slug):
    show = _show_or_404(slug, manage=True)
    form = ShowForm(obj=show)
    if request.method == "GET":
        form.category.data = f"{show.apple_category}|{show.apple_subcategory or ''}"
        form.kind.data = show.kind.value
        form.show_type.data = show.show_type.value
        form.visibility.data = show.visibility.value
        form.host.data = (show.persons or [{}])[0].get("name", "") if show.persons else ""
        for place in jingles.PLACES:
            getattr(form, f"jingle_{place}").data = jingles.kind_of(show, place)
    if form.validate_on_submit():
        category, sub = form.category.data.split("|")
        try:
            operations.update_show(show, **_show_fields(form, category, sub))
            if form.cover.data:
                operations.set_show_artwork(show, form.cover.data.stream)
            _apply_jingles(form, show)
        except (operations.PodcastError, ArtworkError, jingles.JingleError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Émission enregistrée."), "success")
            return redirect(url_for("podcasts.edit_show", slug=show.slug))
    episodes = db.session.scalars(
        sa.select(Episode)
        .where(Episode.show_id == show.id, Episode.deleted_dt.is_(None))
        .options(selectinload(Episode.asset).selectinload(MediaAsset.renditions))
        .order_by(Episode.id.desc())
    ).all()
    return render_template(
        "podcasts/show_form.html",
        form=form,
        show=show,
        episodes=episodes,
        now=_now(),
        artwork_url=syndication.artwork_url(show),
        jingle_urls=_jingle_urls(show),
        upload_url=url_for("media.upload_page", target=operations.upload_target(show))
        if "media.upload_page" in current_app.view_functions
        else None,
    )


def _ready_assets():
    assets = db.session.scalars(
        sa.select(MediaAsset)
        .where(MediaAsset.status == AssetStatus.READY)
        .options(selectinload(MediaAsset.renditions))
        .order_by(MediaAsset.id.desc())
    ).all()
    return [a for a in assets if a.rendition(RenditionKind.AUDIO_EDITION) is not None]


def _local_to_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=PARIS) if value is not None else None


@bp.route("/<slug>/episodes/nouveau", methods=["GET", "POST"])
@role_required(Role.ANIMATOR)
def create_episode(slug):
    show = _show_or_404(slug, manage=True)
    return _episode_form(show, None)


@bp.route("/<slug>/<int:episode_id>/modifier", methods=["GET", "POST"])
@role_required(Role.ANIMATOR)
def edit_episode(slug, episode_id):
    show = _show_or_404(slug, manage=True)
    return _episode_form(show, _episode_or_404(show, episode_id, manage=True))


def _episode_form(show: Show, episode: Episode | None):
    form = EpisodeForm(obj=episode)
    assets = _ready_assets()
    form.asset_id.choices = [(a.id, a.title or f"#{a.id}") for a in assets]
    if episode is not None and request.method == "GET":
        form.pub_dt.data = (
            episode.pub_dt.astimezone(PARIS).replace(tzinfo=None) if episode.pub_dt else None
        )
        form.speakers.data = ", ".join(p["name"] for p in episode.persons or [])
        form.episode_type.data = episode.episode_type.value
    if form.validate_on_submit():
        asset = db.session.get(MediaAsset, form.asset_id.data)
        persons = [
            {"name": n.strip(), "role": "guest"}
            for n in (form.speakers.data or "").split(",")
            if n.strip()
        ]
        try:
            saved = operations.publish_episode(
                show,
                title=form.title.data,
                description=form.description.data or "",
                asset=asset,
                pub_dt=_local_to_utc(form.pub_dt.data),
                guid=episode.guid if episode else None,
                season=form.season.data,
                number=form.number.data,
                episode_type=form.episode_type.data,
                persons=persons,
                synthetic_voice=form.synthetic_voice.data,
            )
            if episode is not None and form.pub_dt.data is None:
                operations.schedule_episode(saved, None)
        except operations.PodcastError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Épisode enregistré."), "success")
            return redirect(url_for("podcasts.edit_show", slug=show.slug))
    return render_template(
        "podcasts/episode_form.html", form=form, show=show, episode=episode, has_assets=bool(assets)
    )


@bp.post("/<slug>/<int:episode_id>/publier")
@role_required(Role.ANIMATOR)
def publish(slug, episode_id):
    show = _show_or_404(slug, manage=True)
    episode = _episode_or_404(show, episode_id, manage=True)
    if episode.audio is None:
        flash(
            _("L'enregistrement n'est pas encore prêt : l'épisode paraîtra quand il le sera."),
            "info",
        )
    operations.schedule_episode(episode, _now())
    db.session.commit()
    flash(_("Épisode publié."), "success")
    return redirect(url_for("podcasts.edit_show", slug=show.slug))


@bp.post("/<slug>/<int:episode_id>/supprimer")
@role_required(Role.ANIMATOR)
def delete(slug, episode_id):
    show = _show_or_404(slug, manage=True)
    operations.delete_episode(_episode_or_404(show, episode_id, manage=True))
    db.session.commit()
    flash(_("Épisode supprimé du flux."), "success")
    return redirect(url_for("podcasts.edit_show", slug=show.slug))


# Statistics ----------------------------------------------------------------------------------


@bp.get("/<slug>/statistiques")
@role_required(Role.ANIMATOR)
def show_stats(slug):
    show = _show_or_404(slug, manage=True)
    stats = counting.download_stats(show_id=show.id)
    per_episode = [
        (e, counting.downloads_count(episode_id=e.id))
        for e in show.episodes
        if e.deleted_dt is None
    ]
    return render_template(
        "podcasts/stats.html",
        show=show,
        episode=None,
        stats=stats,
        per_episode=per_episode,
        data_url=url_for("podcasts.show_stats_json", slug=slug),
    )


@bp.get("/<slug>/statistiques.json")
@role_required(Role.ANIMATOR)
def show_stats_json(slug):
    show = _show_or_404(slug, manage=True)
    return jsonify(counting.download_stats(show_id=show.id))


@bp.get("/<slug>/<int:episode_id>/statistiques")
@role_required(Role.ANIMATOR)
def episode_stats(slug, episode_id):
    show = _show_or_404(slug, manage=True)
    episode = _episode_or_404(show, episode_id, manage=True)
    stats = counting.download_stats(episode_id=episode.id)
    return render_template(
        "podcasts/stats.html",
        show=show,
        episode=episode,
        stats=stats,
        per_episode=None,
        data_url=url_for("podcasts.episode_stats_json", slug=slug, episode_id=episode.id),
    )


@bp.get("/<slug>/<int:episode_id>/statistiques.json")
@role_required(Role.ANIMATOR)
def episode_stats_json(slug, episode_id):
    show = _show_or_404(slug, manage=True)
    episode = _episode_or_404(show, episode_id, manage=True)
    return jsonify(counting.download_stats(episode_id=episode.id))


def utc_now_default():
    """Default clock of the feature (replaced in tests)."""
    return utcnow()


@bp.route("/gestion/importer", methods=["GET", "POST"])
@role_required(Role.ANIMATOR)
def import_feed():
    from app.podcasts import importer

    form = ImportForm()
    locked = False
    if form.validate_on_submit():
        try:
            row = importer.create_import(
                url=form.url.data or None,
                upload=form.file.data.stream if form.file.data else None,
                slug=form.slug.data or None,
                confirm_locked=form.confirm_locked.data,
                process=form.run_pipeline.data,
                created_by_id=current_user.id,
            )
        except importer.LockedFeed as exc:
            db.session.rollback()
            locked = True
            flash(str(exc), "error")
        except operations.PodcastError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            # The row first, then the message: a worker never sees an import it cannot load.
            current_app.extensions["celery"].send_task(
                "podcasts.import_feed", args=[row.id], queue="long"
            )
            return redirect(url_for("podcasts.import_status", import_id=row.id))
    return render_template("podcasts/import.html", form=form, locked=locked)


def _import_or_404(import_id: int):
    from app.podcasts import importer

    row = importer.get_import(import_id)
    if row is None:
        abort(404)
    return row


def _import_status(row) -> dict:
    return {
        "state": row.state.value,
        "finished": row.is_finished,
        "done": row.done,
        "total": row.total,
        "imported": row.imported,
        "errors": [translated(error) for error in row.errors or []],
        "show_url": url_for("podcasts.edit_show", slug=row.show.slug) if row.show else None,
    }


@bp.get("/gestion/importer/<int:import_id>")
@role_required(Role.ANIMATOR)
def import_status(import_id):
    row = _import_or_404(import_id)
    return render_template(
        "podcasts/import_status.html",
        row=row,
        status=_import_status(row),
        data_url=url_for("podcasts.import_status_json", import_id=row.id),
    )


@bp.get("/gestion/importer/<int:import_id>.json")
@role_required(Role.ANIMATOR)
def import_status_json(import_id):
    return jsonify(_import_status(_import_or_404(import_id)))
