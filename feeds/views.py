"""Routes serving the builders: podcast RSS (public, private), OPML, media, chapters, transcripts.

Feeds are built from rows by ``app.podcasts.syndication`` and cached per (show, subscription);
media URLs end in the file's extension, answer HEAD and Range, and never change content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable

from app.core.db import utcnow
from app.extensions import db
from app.media.chapters import JSON_CHAPTERS_MIMETYPE, build_chapters_json
from app.media.models import RenditionKind, StoredFile
from app.media.operations import serve_stored_file
from app.media.storage import get_storage
from app.podcasts import counting, operations, syndication
from app.podcasts.models import Episode, FeedToken, Show

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

RSS_MIMETYPE = "application/rss+xml; charset=utf-8"
TRANSCRIPTS = {
    "vtt": (RenditionKind.TRANSCRIPT_VTT, "text/vtt; charset=utf-8"),
    "srt": (RenditionKind.TRANSCRIPT_SRT, "application/x-subrip; charset=utf-8"),
}
_id3_sizes: dict[int, int] = {}


def clock():
    """Return the current time (tests replace app.extensions["podcasts"]["clock"])."""
    return current_app.extensions["podcasts"]["clock"]()


# Feeds ---------------------------------------------------------------------------------------


@bp.get("/<slug>.xml")
def show_feed(slug):
    show = _show_or_404(slug)
    if not show.is_public:
        abort(404)
    built = syndication.get_built_feed(show, now=clock())
    return _feed_response(built, public=True)


@bp.get("/private/<token>/<slug>.xml")
def private_feed(token, slug):
    row = _token_or_404(token)
    show = _show_or_404(slug)
    if not operations.can_listen(row.user, show):
        abort(404)
    built = syndication.get_built_feed(show, row, now=clock(), token_value=token)
    return _feed_response(built, public=False)


@bp.get("/shows.opml")
def opml():
    body = syndication.build_public_opml(operations.list_public_shows())
    response = Response(body, mimetype="text/x-opml")
    response.headers["Content-Type"] = "text/x-opml; charset=utf-8"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


def _feed_response(built: syndication.BuiltFeed, *, public: bool) -> Response:
    gzip_ok = request.accept_encodings["gzip"] > 0
    response = Response(built.gzipped if gzip_ok else built.body)
    response.headers["Content-Type"] = RSS_MIMETYPE
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(built.etag + ("-gz" if gzip_ok else ""))
    response.last_modified = built.last_modified
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
        response.headers["X-Robots-Tag"] = "noindex"
    response.cache_control.max_age = 300
    return response.make_conditional(request)


def _show_or_404(slug: str) -> Show:
    show = operations.get_show(slug)
    if show is None:
        abort(404)
    return show


def _token_or_404(token: str) -> FeedToken:
    # One indexed lookup by hash: wrong and revoked tokens cost the same, and get nothing.
    row = operations.get_feed_token(token)
    if row is None or not row.user.is_active:
        abort(404)
    now = utcnow()
    if row.last_used_dt is None or row.last_used_dt < now - timedelta(days=1):
        row.last_used_dt = now
        db.session.commit()
    return row


# Artwork and media ---------------------------------------------------------------------------


@bp.get("/artwork/<int:file_id>.jpg")
def artwork(file_id):
    row = db.session.get(StoredFile, file_id)
    if row is None or not row.key.startswith("podcasts/artwork/"):
        abort(404)
    return serve_stored_file(row)


def _episode_for_media(episode_id: int, token: str | None) -> Episode:
    episode = db.session.get(Episode, episode_id)
    if episode is None or not episode.is_live(clock()):
        abort(404)
    if token is None:
        if not episode.show.is_public:
            abort(404)
    else:
        row = _token_or_404(token)
        if not operations.can_listen(row.user, episode.show):
            abort(404)
    return episode


@bp.get("/e/<int:episode_id>/<int:file_id>.<ext>")
def enclosure(episode_id, file_id, ext):
    return _serve_media(_episode_for_media(episode_id, None), file_id, ext)


@bp.get("/private/<token>/e/<int:episode_id>/<int:file_id>.<ext>")
def private_enclosure(token, episode_id, file_id, ext):
    return _serve_media(_episode_for_media(episode_id, token), file_id, ext)


def _serve_media(episode: Episode, file_id: int, ext: str):
    rendition = next((r for r in episode.asset.renditions if r.file_id == file_id), None)
    if rendition is not None:
        file, is_audio = rendition.file, rendition.kind == RenditionKind.AUDIO_EDITION
        duration = rendition.duration_s or episode.asset.duration_s
    elif file_id in (episode.retired_file_ids or []):
        # An earlier encoding: its URL was published, so it keeps serving the same bytes.
        file, is_audio, duration = db.session.get(StoredFile, file_id), True, None
    else:
        file = None
    if file is None or file.extension != ext.lower():
        abort(404)
    if request.method == "GET" and is_audio:
        counted = counting.record_request(
            episode,
            address=request.remote_addr or "",
            user_agent=request.user_agent.string or "",
            range_header=request.headers.get("Range"),
            size=file.size,
            duration_s=duration,
            header_bytes=_id3_size(file),
            now=clock(),
        )
        db.session.commit()
        if counted:
            current_app.logger.debug("download counted for episode %s", episode.id)
    try:
        response = serve_stored_file(file)
    except RequestedRangeNotSatisfiable as exc:
        # Answer with the bare 416 and its Content-Range, not the site's error page.
        return exc.get_response()
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _id3_size(file: StoredFile) -> int:
    if file.id not in _id3_sizes:
        try:
            with get_storage(file.backend).open(file.key) as fh:
                head = fh.read(10)
        except Exception:  # noqa: BLE001 - an unreadable file counts without a header
            head = b""
        _id3_sizes[file.id] = counting.id3_header_size(head)
    return _id3_sizes[file.id]


# Chapters and transcripts --------------------------------------------------------------------


@bp.get("/e/<int:episode_id>/chapters.json")
def chapters(episode_id):
    return _chapters(_episode_for_media(episode_id, None))


@bp.get("/private/<token>/e/<int:episode_id>/chapters.json")
def private_chapters(token, episode_id):
    return _chapters(_episode_for_media(episode_id, token))


def _chapters(episode: Episode):
    stored = episode.asset.rendition(RenditionKind.CHAPTERS)
    if stored is not None:
        with get_storage(stored.file.backend).open(stored.file.key) as fh:
            body = fh.read()
        intro_s = syndication.audio_intro_s(episode)
        if intro_s:  # written in the recording's timeline; the audio starts with a jingle
            document = json.loads(body)
            for item in document.get("chapters", []):
                for field in ("startTime", "endTime"):
                    if field in item:
                        item[field] = round(item[field] + intro_s, 3)
            body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    else:
        items = syndication.episode_chapters(episode)
        if not items:
            raise NotFound()
        document = build_chapters_json(items)
        document["title"] = episode.title
        document["podcastName"] = episode.show.title
        body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    response = Response(body, mimetype=JSON_CHAPTERS_MIMETYPE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/e/<int:episode_id>/transcript.<ext>")
def transcript(episode_id, ext):
    return _transcript(_episode_for_media(episode_id, None), ext)


@bp.get("/private/<token>/e/<int:episode_id>/transcript.<ext>")
def private_transcript(token, episode_id, ext):
    return _transcript(_episode_for_media(episode_id, token), ext)


def _transcript(episode: Episode, ext: str):
    if ext not in TRANSCRIPTS:
        abort(404)
    kind, mimetype = TRANSCRIPTS[ext]
    rendition = episode.asset.rendition(kind)
    if rendition is None:
        abort(404)
    response = serve_stored_file(rendition.file)
    if response.status_code < 300:
        response.headers["Content-Type"] = mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
