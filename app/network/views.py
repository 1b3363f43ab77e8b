"""Directory pages: door, list with search, filters and map, person and organisation pages,
profile editing. The agenda, exchange space and personal data pages live in their own modules
on the same blueprint."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import Role
from app.auth.security import login_required, role_required
from app.extensions import db
from app.library.models import Theme
from app.media.operations import serve_stored_file, store_file
from app.network import forms, operations, schema_org
from app.network.models import KIND_LABELS, Organisation, OrganisationKind, Person, Visibility
from app.network.visibility import ORGANISATION_FIELDS, PERSON_FIELDS, is_manager, visible_fields

bp = Blueprint("network", __name__, url_prefix="/reseau")


#: Largest id a database integer column holds; larger ids in URLs simply do not exist.
MAX_ID = 2**63 - 1


def get_or_404(model, ident: int):
    """Return the row with this primary key, or answer 404 (also for out-of-range ids)."""
    if not 0 < ident <= MAX_ID:
        abort(404)
    return db.session.get(model, ident) or abort(404)


def viewer():
    """The account looking at the page, or None for the public."""
    return current_user if current_user.is_authenticated else None


def _theme_choices():
    return [(t.id, t.name) for t in operations.active_themes()]


def _themes_from_ids(ids) -> list[Theme]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids))))


@bp.get("/")
def index():
    """Show the door of the network area: directory, agenda, exchange space."""
    from app.network import agenda

    upcoming = agenda.upcoming_items(limit=5)
    return render_template("network/index.html", upcoming=upcoming)


#: Profiles per page of the directory list (the map shows the page's organisations).
DIRECTORY_PAGE_SIZE = 48


@bp.get("/annuaire")
def directory():
    """List people and organisations with search, filters and, when tiles are set up, a map."""
    args = request.args
    section = args.get("section", "all")
    if section not in ("all", "people", "organisations"):
        section = "all"
    kind = args.get("kind") or None
    if kind and kind not in {k.value for k in OrganisationKind}:
        abort(400, _("Type de structure inconnu."))
    results = operations.search_directory(
        viewer(),
        q=args.get("q", "").strip()[:200],
        section=section,
        kind=kind,
        theme=args.get("theme") or None,
        departement=(args.get("departement") or "").strip().upper() or None,
    )
    total = len(results)
    pages = max(1, -(-total // DIRECTORY_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    results = results[(page - 1) * DIRECTORY_PAGE_SIZE:page * DIRECTORY_PAGE_SIZE]
    page_args = {k: v for k, v in args.items() if k != "page" and v}
    return render_template(
        "network/directory.html",
        results=results,
        total=total,
        page=page,
        pages=pages,
        page_args=page_args,
        themes=operations.active_themes(),
        kind_labels=KIND_LABELS,
        tile_url=current_app.config.get("NETWORK_TILE_URL") or "",
        tile_attribution=current_app.config.get("NETWORK_TILE_ATTRIBUTION") or "",
        leaflet_ready=_leaflet_vendored(),
    )


def _leaflet_vendored() -> bool:
    from pathlib import Path

    return (Path(current_app.static_folder) / "vendor" / "leaflet" / "leaflet.js").is_file()


@bp.get("/personnes/<slug>")
def person(slug):
    """Show a person's page with what they contributed (sessions, episodes, guides)."""
    row = operations.get_person(slug) or abort(404)
    fields = visible_fields(row, viewer())
    if fields is None:
        abort(404)  # a hidden profile does not exist for this viewer
    public = visible_fields(row, None)
    return render_template(
        "network/person.html",
        person=row,
        fields=fields,
        jsonld=schema_org.person_jsonld(public) if public else None,
        contributions=operations.get_contributions(row),
        can_edit=is_manager(row, viewer()),
    )


@bp.get("/personnes/<slug>/photo")
def person_photo(slug):
    row = operations.get_person(slug) or abort(404)
    fields = visible_fields(row, viewer())
    if not fields or "photo_url" not in fields:
        abort(404)
    return serve_stored_file(row.photo)


@bp.get("/structures/<slug>")
def organisation(slug):
    row = operations.get_organisation(slug) or abort(404)
    fields = visible_fields(row, viewer())
    if fields is None:
        abort(404)
    can_edit = is_manager(row, viewer())
    candidates = []
    if can_edit:
        candidates = operations.search_directory(viewer(), section="people")
    public = visible_fields(row, None)
    return render_template(
        "network/organisation.html",
        organisation=row,
        fields=fields,
        jsonld=schema_org.organisation_jsonld(public) if public else None,
        kind_labels=KIND_LABELS,
        can_edit=can_edit,
        candidates=candidates,
    )


@bp.get("/structures/<slug>/logo")
def organisation_logo(slug):
    row = operations.get_organisation(slug) or abort(404)
    fields = visible_fields(row, viewer())
    if not fields or "logo_url" not in fields:
        abort(404)
    return serve_stored_file(row.logo)


#: Largest photo or logo accepted.
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def _store_image(upload, prefix):
    """Store an uploaded photo or logo after checking it really is a small image."""
    import io

    from PIL import Image, UnidentifiedImageError

    if not upload or not getattr(upload, "filename", ""):
        return None
    data = upload.stream.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        abort(413, _("L'image dépasse 5 Mo."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        abort(400, _("Ce fichier n'est pas une image lisible."))
    if kind not in ("JPEG", "PNG", "WEBP"):
        abort(400, _("Image JPEG, PNG ou WebP uniquement."))
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[kind]
    return store_file(io.BytesIO(data), upload.filename, prefix=prefix, content_type=mime)


def _edit_person(row: Person, *, own: bool):
    form = forms.PersonForm(obj=row if request.method == "GET" else None)
    form.themes.choices = _theme_choices()
    if request.method == "GET":
        form.themes.data = [t.id for t in row.themes]
        form.visibility.data = str(row.visibility or Visibility.MEMBERS)
        form.consent.data = row.consent_dt is not None
        for name, default in PERSON_FIELDS.items():
            getattr(form, f"vis_{name}").data = (row.field_visibility or {}).get(
                name, str(default)
            )
    if form.validate_on_submit():
        data = {name: f.data for name, f in form._fields.items()}
        operations.update_person(row, data, _themes_from_ids(form.themes.data))
        photo = _store_image(form.photo.data, "directory/photos")
        if photo is not None:
            row.photo = photo
        if form.consent.data and row.consent_dt is None:
            operations.record_consent(row)
        elif not form.consent.data and row.consent_dt is not None:
            operations.withdraw_consent(row)
        db.session.commit()
        flash(_("Fiche enregistrée."), "success")
        return redirect(url_for("network.person", slug=row.slug))
    return render_template(
        "network/person_form.html", form=form, person=row, own=own, field_names=PERSON_FIELDS
    )


@bp.route("/mon-profil", methods=["GET", "POST"])
@login_required
def my_profile():
    """Create or edit the signed-in account's own directory profile."""
    row = operations.get_person_for_user(current_user)
    if row is None:
        row = Person(name=current_user.name, user_id=current_user.id, slug="", field_visibility={})
    return _edit_person(row, own=True)


@bp.route("/personnes/nouvelle", methods=["GET", "POST"])
@role_required(Role.MODERATOR, Role.ANIMATOR)
def new_person():
    """Add a person without an account (a speaker, a testimony giver)."""
    return _edit_person(Person(name="", slug="", field_visibility={}), own=False)


@bp.route("/personnes/<slug>/modifier", methods=["GET", "POST"])
@login_required
def edit_person(slug):
    row = operations.get_person(slug) or abort(404)
    if not is_manager(row, current_user):
        abort(404 if visible_fields(row, current_user) is None else 403)
    return _edit_person(row, own=row.user_id == current_user.id)


def _edit_organisation(row: Organisation):
    form = forms.OrganisationForm(obj=row if request.method == "GET" else None)
    form.themes.choices = _theme_choices()
    if request.method == "GET":
        form.themes.data = [t.id for t in row.themes]
        form.kind.data = str(row.kind or OrganisationKind.AUTRE)
        form.visibility.data = str(row.visibility or "public")
        form.address_precision.data = str(row.address_precision or "commune")
        for name, default in ORGANISATION_FIELDS.items():
            getattr(form, f"vis_{name}").data = (row.field_visibility or {}).get(
                name, str(default)
            )
    if form.validate_on_submit():
        data = {name: f.data for name, f in form._fields.items()}
        if row.id is None:
            row.created_by_id = current_user.id
        operations.update_organisation(row, data, _themes_from_ids(form.themes.data))
        logo = _store_image(form.logo.data, "directory/logos")
        if logo is not None:
            row.logo = logo
        db.session.commit()
        flash(_("Fiche enregistrée."), "success")
        return redirect(url_for("network.organisation", slug=row.slug))
    return render_template(
        "network/organisation_form.html",
        form=form,
        organisation=row,
        field_names=ORGANISATION_FIELDS,
    )


@bp.route("/structures/nouvelle", methods=["GET", "POST"])
@login_required
def new_organisation():
    """Add an organisation to the directory (any member; its creator may edit it)."""
    return _edit_organisation(Organisation(name="", slug="", field_visibility={}))


@bp.route("/structures/<slug>/modifier", methods=["GET", "POST"])
@login_required
def edit_organisation(slug):
    row = operations.get_organisation(slug) or abort(404)
    if not is_manager(row, current_user):
        abort(404 if visible_fields(row, current_user) is None else 403)
    return _edit_organisation(row)


def _dfc_response(entries):
    import json

    from app.network.dfc import build_dfc_document

    accept = request.headers.get("Accept", "")
    v2 = 'profile="dfc-v2"' in accept or request.args.get("version") == "2"
    body = json.dumps(build_dfc_document(entries, v2=v2), ensure_ascii=False, indent=2)
    response = current_app.response_class(body, mimetype="application/ld+json")
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/dfc.jsonld")
def dfc_export():
    """The Data Food Consortium export: opted-in organisations, public fields only."""
    return _dfc_response(operations.dfc_entries())


@bp.get("/structures/<slug>/dfc.jsonld")
def organisation_dfc(slug):
    row = operations.get_organisation(slug) or abort(404)
    entries = operations.dfc_entries([row])
    if not entries:
        abort(404)
    return _dfc_response(entries)


@bp.post("/structures/<slug>/membres")
@login_required
def add_member(slug):
    """Add a person of the directory to an organisation (its managers only)."""
    org = operations.get_organisation(slug) or abort(404)
    if not is_manager(org, current_user):
        abort(403)
    person = operations.get_person(request.form.get("person", "")) or abort(404)
    if visible_fields(person, current_user) is None:
        abort(404)
    operations.set_affiliation(
        org, person, request.form.get("role_label", ""), bool(request.form.get("is_main_contact"))
    )
    db.session.commit()
    flash(_("%(name)s fait partie de la structure.", name=person.name), "success")
    return redirect(url_for("network.organisation", slug=org.slug))


@bp.post("/structures/<slug>/membres/<person_slug>/retirer")
@login_required
def remove_member(slug, person_slug):
    org = operations.get_organisation(slug) or abort(404)
    if not is_manager(org, current_user):
        abort(403)
    person = operations.get_person(person_slug) or abort(404)
    operations.remove_affiliation(org, person)
    db.session.commit()
    flash(_("Membre retiré."), "success")
    return redirect(url_for("network.organisation", slug=org.slug))
