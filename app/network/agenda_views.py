"""Agenda pages: list and month views with filters, event pages, proposals, moderation of
events and partners' feeds, iCal feeds (global and per theme)."""

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import Role
from app.auth.security import login_required, role_required
from app.core.db import utcnow
from app.extensions import db
from app.library.models import Theme
from app.network import agenda, forms, schema_org
from app.network.agenda_models import (
    MODE_LABELS,
    STATUS_LABELS,
    Event,
    EventStatus,
    ExternalFeed,
)
from app.network.views import _theme_choices, _themes_from_ids, bp, get_or_404
from feeds.ical import build_calendar, build_event_ics


def _filters() -> dict:
    args = request.args
    online = args.get("online")
    return {
        "theme": args.get("theme") or None,
        "departement": (args.get("departement") or "").strip().upper() or None,
        "online": {"1": True, "0": False}.get(online),
    }


def _is_moderator() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.MODERATOR)


@bp.get("/agenda", endpoint="agenda")
def agenda_page():
    """List upcoming items (events and course sessions), or one month as a grid."""
    filters = _filters()
    view = request.args.get("vue", "liste")
    themes = list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.name)))
    filter_args = {
        k: v for k, v in request.args.items() if k in ("theme", "departement", "online") and v
    }
    common = {
        "filters": filters, "themes": themes, "mode_labels": MODE_LABELS, "filter_args": filter_args
    }
    if view == "mois":
        today = utcnow().astimezone(agenda.PARIS).date()
        try:
            year = int(request.args.get("annee", today.year))
            month = int(request.args.get("mois", today.month))
            if not (1 <= month <= 12 and 1970 <= year <= 2200):
                raise ValueError
        except ValueError:
            abort(400, _("Mois invalide."))
        start, end = agenda.month_bounds(year, month)
        items = agenda.get_agenda_items(start, end, filters)
        prev_month = (year - (month == 1), 12 if month == 1 else month - 1)
        next_month = (year + (month == 12), 1 if month == 12 else month + 1)
        return render_template(
            "network/agenda_month.html",
            weeks=agenda.month_grid(year, month, items),
            year=year,
            month=month,
            month_start=datetime(year, month, 1, tzinfo=UTC),
            prev_month=prev_month,
            next_month=next_month,
            vue="mois",
            **common,
        )
    now = utcnow()
    items = agenda.get_agenda_items(now - timedelta(hours=6), now + timedelta(days=366), filters)
    return render_template("network/agenda.html", items=items, vue=None, **common)


@bp.get("/agenda/<int:event_id>")
def event(event_id):
    row = get_or_404(Event, event_id)
    if row.status in (EventStatus.PENDING, EventStatus.REJECTED) and not (
        _is_moderator() or (current_user.is_authenticated and row.created_by_id == current_user.id)
    ):
        abort(404)
    public = row.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)
    return render_template(
        "network/event.html",
        event=row,
        jsonld=schema_org.event_jsonld(
            row, url_for("network.event", event_id=row.id, _external=True)
        ) if public else None,
        mode_labels=MODE_LABELS,
        status_labels=STATUS_LABELS,
        can_moderate=_is_moderator(),
        can_edit=_is_moderator()
        or (current_user.is_authenticated and row.created_by_id == current_user.id),
    )


def _event_form(row: Event):
    form = forms.EventForm(obj=row if request.method == "GET" and row.id else None)
    form.themes.choices = _theme_choices()
    if request.method == "GET" and row.id:
        zone = agenda.ZoneInfo(row.tzid)
        form.start.data = row.start_dt.astimezone(zone).replace(tzinfo=None)
        form.end.data = row.end_dt.astimezone(zone).replace(tzinfo=None)
        form.themes.data = [t.id for t in row.themes]
        form.mode.data = str(row.mode)
    if form.validate_on_submit():
        data = {name: f.data for name, f in form._fields.items()}
        is_new = row.id is None
        agenda.save_event(row, data, _themes_from_ids(form.themes.data), author=current_user)
        if is_new:
            trusted = current_user.has_role(Role.MODERATOR, Role.ANIMATOR)
            row.status = EventStatus.PUBLISHED if trusted else EventStatus.PENDING
        db.session.commit()
        if row.status == EventStatus.PENDING:
            flash(_("Merci ! L'évènement sera publié après relecture par l'équipe."), "success")
        else:
            flash(_("Évènement enregistré."), "success")
        return redirect(url_for("network.event", event_id=row.id))
    return render_template("network/event_form.html", form=form, event=row)


@bp.route("/agenda/proposer", methods=["GET", "POST"])
@login_required
def propose_event():
    """Propose an event; it waits for moderation unless proposed by an animator or moderator."""
    return _event_form(Event(uid="", sequence=0))


@bp.route("/agenda/<int:event_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_event(event_id):
    row = get_or_404(Event, event_id)
    if not (_is_moderator() or row.created_by_id == current_user.id):
        abort(403)
    return _event_form(row)


@bp.post("/agenda/<int:event_id>/statut")
@role_required(Role.MODERATOR)
def set_event_status(event_id):
    row = get_or_404(Event, event_id)
    try:
        status = EventStatus(request.form.get("status", ""))
    except ValueError:
        abort(400, _("Statut inconnu."))
    agenda.set_event_status(row, status)
    db.session.commit()
    flash(_("Statut de l'évènement : %(status)s.", status=STATUS_LABELS[status]), "success")
    return redirect(request.form.get("next") or url_for("network.event", event_id=row.id))


@bp.route("/agenda/moderation", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def agenda_moderation():
    """Pending events and partners' feeds; add a feed."""
    form = forms.FeedForm()
    if form.validate_on_submit():
        if db.session.scalar(sa.select(ExternalFeed.id).where(ExternalFeed.url == form.url.data)):
            flash(_("Ce calendrier est déjà suivi."), "error")
        else:
            feed = ExternalFeed(
                name=form.name.data.strip(), url=form.url.data.strip(),
                auto_publish=form.auto_publish.data,
            )
            db.session.add(feed)
            db.session.commit()
            _enqueue_import(feed.id)
            flash(_("Calendrier ajouté ; la première lecture est en cours."), "success")
            return redirect(url_for("network.agenda_moderation"))
    feeds = list(db.session.scalars(sa.select(ExternalFeed).order_by(ExternalFeed.name)))
    return render_template(
        "network/agenda_moderation.html", form=form, pending=agenda.pending_events(), feeds=feeds
    )


def _enqueue_import(feed_id: int) -> None:
    current_app.extensions["celery"].send_task(
        "network.import_feed", args=[feed_id], queue="short"
    )


@bp.post("/agenda/flux/<int:feed_id>/importer")
@role_required(Role.MODERATOR)
def import_feed_now(feed_id):
    feed = get_or_404(ExternalFeed, feed_id)
    _enqueue_import(feed.id)
    flash(_("Lecture du calendrier demandée."), "success")
    return redirect(url_for("network.agenda_moderation"))


def _calendar_response(items, name: str) -> Response:
    body = build_calendar([agenda.to_calendar_event(i) for i in items], name=name)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=agenda.ics"
    response.headers["Cache-Control"] = "public, max-age=900"
    response.vary.add("Accept-Language")  # the calendar's name is in the reader's language
    response.set_etag(hashlib.sha256(body).hexdigest())
    return response.make_conditional(request)


def _feed_window():
    now = utcnow()
    return now - timedelta(days=31), now + timedelta(days=366)


@bp.get("/agenda/<int:event_id>.ics")
def event_ics(event_id):
    """One published event as an .ics file ("Ajouter à mon agenda")."""
    row = get_or_404(Event, event_id)
    if row.status not in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
        abort(404)
    body = build_event_ics(agenda.to_calendar_event(agenda.event_to_item(row)))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f"attachment; filename=evenement-{row.id}.ics"
    return response


@bp.get("/agenda.ics")
def agenda_ics():
    """The whole agenda as a subscribable calendar (public: no join links)."""
    start, end = _feed_window()
    items = agenda.get_agenda_items(start, end, _filters())
    return _calendar_response(items, _("Agenda des circuits courts"))


@bp.get("/agenda/themes/<slug>.ics")
def theme_ics(slug):
    theme = db.session.scalar(sa.select(Theme).where(Theme.slug == slug)) or abort(404)
    start, end = _feed_window()
    items = agenda.get_agenda_items(start, end, {"theme": theme.slug})
    return _calendar_response(items, _("Agenda — %(theme)s", theme=theme.name))
