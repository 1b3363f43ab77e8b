"""Se documenter pages: library, resource pages, wiki editing with review, proposals, moderation,
theme pages and feeds."""

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.models import Role
from app.auth.security import role_required
from app.core.templating import format_size
from app.core.text import render_markdown
from app.extensions import db, limiter
from app.library import feeds, forms, notify, operations, proposals
from app.library.models import (
    AUDIENCES,
    KIND_LABELS,
    Attachment,
    Proposal,
    ProposalStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
    Revision,
    RevisionState,
)
from app.library.operations import EDITOR_ROLES, WRITER_ROLES, LibraryError, is_editor
from app.media.operations import serve_stored_file
from app.search.operations import KINDS, documents_for_theme, visibilities_for

bp = Blueprint("library", __name__, url_prefix="/se-documenter")


def _theme_choices():
    return [(t.id, t.label) for t in operations.get_themes()]


def _check_upload_size(limit_key: str = "LIBRARY_MAX_UPLOAD") -> None:
    limit = current_app.config.get(limit_key, 20 * 1024 * 1024)
    if request.content_length and request.content_length > limit:
        abort(
            413,
            description=_(
                "Le fichier dépasse la taille maximale de %(size)s.", size=format_size(limit)
            ),
        )


def _uploaded(field):
    data = field.data
    if data and getattr(data, "filename", ""):
        return data
    return None


def _can_see(resource: Resource) -> bool:
    if resource.is_published:
        return True
    if not current_user.is_authenticated:
        return False
    return is_editor(current_user) or resource.created_by_id == current_user.id


def _load(slug: str, endpoint: str = "library.resource", **values) -> Resource:
    """Find a resource, redirecting old slugs (raised as a response) and hiding drafts."""
    resource, old = operations.get_resource_by_slug(slug)
    if resource is None or not _can_see(resource):
        abort(404)
    if old:
        abort(redirect(url_for(endpoint, slug=resource.slug, **values), 301))
    return resource


def _load_revision(resource: Resource, number: int) -> Revision:
    revision = db.session.execute(
        sa.select(Revision).filter_by(resource_id=resource.id, number=number)
    ).scalar_one_or_none()
    if revision is None:
        abort(404)
    return revision


# --- reading -----------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The library's door: latest resources, filters by type and theme, themes, proposing."""
    kind = request.args.get("type") or None
    if kind and kind not in {k.value for k in ResourceKind}:
        abort(400, _("Type de ressource inconnu."))
    theme = None
    if request.args.get("theme"):
        theme = operations.get_theme(request.args["theme"])
        if theme is None:
            abort(404)
    resources = operations.list_published(kind=kind, theme=theme, limit=60)
    return render_template(
        "library/index.html",
        resources=resources,
        themes=operations.get_themes(),
        kind=kind,
        theme=theme,
        kind_labels=KIND_LABELS,
    )


@bp.get("/ressources/<slug>")
def resource(slug):
    resource = _load(slug)
    revision = resource.published_revision
    pending = operations.pending_revisions(resource) if operations.is_writer(current_user) else []
    return render_template(
        "library/resource.html",
        resource=resource,
        revision=revision,
        pending=pending,
        is_editor=is_editor(current_user),
        audiences=AUDIENCES,
        due=resource in operations.due_for_review() if resource.is_published else False,
    )


@bp.get("/ressources/<slug>/document")
def document(slug):
    resource = _load(slug, "library.document")
    if resource.document is None:
        abort(404)
    return serve_stored_file(resource.document, download=True)


@bp.get("/ressources/<slug>/couverture")
def cover(slug):
    resource = _load(slug, "library.cover")
    if resource.cover is None:
        abort(404)
    return serve_stored_file(resource.cover)


@bp.get("/fichiers/<int:attachment_id>/<name>")
def attachment(attachment_id, name):
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        abort(404)
    resource = db.session.get(Resource, row.resource_id)
    if not _can_see(resource) and not operations.is_writer(current_user):
        abort(404)
    return serve_stored_file(row.file, download=row.file.content_type == "application/pdf")


# --- writing -----------------------------------------------------------------------------------


@bp.route("/nouvelle", methods=["GET", "POST"])
@role_required(*WRITER_ROLES)
def new():
    form = forms.NewResourceForm()
    form.themes.choices = _theme_choices()
    preview = None
    if request.method == "POST" and request.form.get("action") == "preview":
        preview = render_markdown(form.body.data)
    elif form.validate_on_submit():
        try:
            resource = operations.create_resource(
                author=current_user,
                title=form.title.data,
                kind=form.kind.data,
                summary=form.summary.data or "",
                body=form.body.data or "",
                external_url=form.external_url.data,
                theme_ids=form.themes.data or [],
                change_note=form.change_note.data or "",
            )
        except LibraryError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            if not is_editor(current_user):
                notify.revision_waiting(resource.revisions[0])
            flash(
                _("Brouillon enregistré. Un·e éditeur·rice le relira avant publication."), "success"
            )
            return redirect(url_for("library.resource", slug=resource.slug))
    return render_template("library/new.html", form=form, preview=preview)


@bp.route("/ressources/<slug>/modifier", methods=["GET", "POST"])
@role_required(*WRITER_ROLES)
def edit(slug):
    resource = _load(slug, "library.edit")
    base = operations.editing_base(resource)
    form = forms.RevisionForm()
    if request.method == "GET":
        if base is not None:
            form.title.data, form.summary.data, form.body.data = base.title, base.summary, base.body
        form.base_revision_id.data = str(base.id) if base else ""
    preview = None
    if request.method == "POST" and request.form.get("action") == "preview":
        preview = render_markdown(form.body.data)
    elif form.validate_on_submit():
        try:
            base_id = int(form.base_revision_id.data) if form.base_revision_id.data else None
        except ValueError:
            abort(400, _("Version de départ invalide."))
        try:
            revision = operations.save_revision(
                resource,
                author=current_user,
                title=form.title.data,
                summary=form.summary.data or "",
                body=form.body.data or "",
                change_note=form.change_note.data or "",
                base_revision_id=base_id,
            )
        except operations.EditConflict as conflict:
            db.session.rollback()
            # Nothing is lost: the form keeps the author's text; the base becomes the latest so
            # the merged text can be saved on the next submit.
            form.base_revision_id.data = str(conflict.latest.id)
            return render_template(
                "library/conflict.html",
                resource=resource,
                form=form,
                latest=conflict.latest,
                diff=operations.diff_lines(conflict.latest.body, form.body.data or ""),
            ), 409
        except LibraryError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            if revision.state == RevisionState.PUBLISHED:
                flash(_("Modification publiée."), "success")
            else:
                notify.revision_waiting(revision)
                flash(
                    _(
                        "Merci ! Votre modification attend la relecture d'un·e éditeur·rice ; "
                        "la version publiée reste en ligne en attendant."
                    ),
                    "success",
                )
            return redirect(url_for("library.resource", slug=resource.slug))
    return render_template(
        "library/edit.html",
        resource=resource,
        form=form,
        base=base,
        preview=preview,
        attachment_form=forms.AttachmentForm(),
        attachments=_attachments(resource),
    )


def _attachments(resource):
    return list(
        db.session.execute(
            sa.select(Attachment).filter_by(resource_id=resource.id).order_by(Attachment.id)
        ).scalars()
    )


@bp.post("/apercu")
@role_required(*WRITER_ROLES)
def preview():
    """Render Markdown as the page will show it (sanitised), for the editor's preview pane."""
    return jsonify(html=str(render_markdown(request.form.get("body", "")[:200_000])))


@bp.post("/ressources/<slug>/fichiers")
@role_required(*WRITER_ROLES)
def upload_attachment(slug):
    _check_upload_size()
    resource = _load(slug, "library.edit")
    form = forms.AttachmentForm()
    upload = _uploaded(form.file)
    if upload is None:
        flash(_("Choisissez un fichier à envoyer."), "error")
        return redirect(url_for("library.edit", slug=resource.slug))
    try:
        row = operations.add_attachment(resource, upload.stream, upload.filename, user=current_user)
    except LibraryError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("library.edit", slug=resource.slug)), 303
    db.session.commit()
    flash(
        _("Fichier ajouté : copiez le code Markdown affiché dans la liste des fichiers."), "success"
    )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(markdown=attachment_markdown(row))
    return redirect(url_for("library.edit", slug=resource.slug))


def attachment_markdown(row: Attachment) -> str:
    url = url_for("library.attachment", attachment_id=row.id, name=row.file.key.rsplit("/", 1)[-1])
    name = row.file.filename
    if row.file.content_type.startswith("image/"):
        return f"![{name}]({url})"
    return f"[{name}]({url})"


@bp.app_template_global("library_attachment_markdown")
def _attachment_markdown_global(row):
    return attachment_markdown(row)


# --- history -----------------------------------------------------------------------------------


@bp.get("/ressources/<slug>/historique")
@role_required(*WRITER_ROLES)
def history(slug):
    resource = _load(slug, "library.history")
    revisions = list(reversed(resource.revisions))
    return render_template(
        "library/history.html",
        resource=resource,
        revisions=revisions,
        is_editor=is_editor(current_user),
    )


@bp.get("/ressources/<slug>/versions/<int:number>")
@role_required(*WRITER_ROLES)
def revision(slug, number):
    resource = _load(slug, "library.revision", number=number)
    rev = _load_revision(resource, number)
    published = resource.published_revision
    compare_to = published if published and published.id != rev.id else rev.base_revision
    return render_template(
        "library/revision.html",
        resource=resource,
        revision=rev,
        compare_to=compare_to,
        diff=operations.diff_lines(compare_to.body if compare_to else "", rev.body),
        is_editor=is_editor(current_user),
        reject_form=forms.RejectRevisionForm(),
    )


@bp.get("/ressources/<slug>/comparer")
@role_required(*WRITER_ROLES)
def compare(slug):
    resource = _load(slug, "library.compare", **request.args)
    try:
        old_n, new_n = int(request.args["de"]), int(request.args["a"])
    except (KeyError, ValueError):
        abort(400, _("Choisissez deux versions à comparer."))
    old, new = _load_revision(resource, old_n), _load_revision(resource, new_n)
    return render_template(
        "library/compare.html",
        resource=resource,
        old=old,
        new=new,
        title_changed=old.title != new.title,
        diff=operations.diff_lines(old.body, new.body),
    )


@bp.post("/ressources/<slug>/versions/<int:number>/publier")
@role_required(*EDITOR_ROLES)
def publish(slug, number):
    resource = _load(slug)
    rev = _load_revision(resource, number)
    if rev.state == RevisionState.REJECTED:
        abort(400, _("Cette version a été refusée ; restaurez-la pour la proposer à nouveau."))
    operations.publish_revision(rev, current_user)
    db.session.commit()
    notify.revision_decided(rev)
    flash(_("Version %(number)s publiée.", number=rev.number), "success")
    return redirect(url_for("library.resource", slug=resource.slug))


@bp.post("/ressources/<slug>/versions/<int:number>/refuser")
@role_required(*EDITOR_ROLES)
def reject(slug, number):
    resource = _load(slug)
    rev = _load_revision(resource, number)
    form = forms.RejectRevisionForm()
    try:
        operations.reject_revision(rev, current_user, form.message.data or "")
    except LibraryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("library.revision", slug=resource.slug, number=number))
    db.session.commit()
    notify.revision_decided(rev)
    flash(_("Version %(number)s refusée.", number=rev.number), "success")
    return redirect(url_for("library.history", slug=resource.slug))


@bp.post("/ressources/<slug>/versions/<int:number>/restaurer")
@role_required(*WRITER_ROLES)
def revert(slug, number):
    resource = _load(slug)
    old = _load_revision(resource, number)
    new_rev = operations.revert_to(resource, old, author=current_user)
    db.session.commit()
    if new_rev.state == RevisionState.PUBLISHED:
        flash(_("La version %(number)s est de nouveau en ligne.", number=number), "success")
    else:
        notify.revision_waiting(new_rev)
        flash(
            _("Le retour à la version %(number)s attend une relecture.", number=number), "success"
        )
    return redirect(url_for("library.resource", slug=resource.slug))


# --- record (editors) --------------------------------------------------------------------------


@bp.route("/ressources/<slug>/fiche", methods=["GET", "POST"])
@role_required(*EDITOR_ROLES)
def record(slug):
    resource = _load(slug, "library.record")
    form = forms.RecordForm(obj=resource if request.method == "GET" else None)
    form.themes.choices = _theme_choices()
    if request.method == "GET":
        form.themes.data = [t.id for t in resource.themes]
        form.territories.data = ", ".join(resource.territories or [])
        form.kind.data = ResourceKind(resource.kind).value
        form.origin.data = resource.origin.value if resource.origin else "internal"
    if form.validate_on_submit():
        _check_upload_size()
        try:
            operations.update_record(
                resource,
                kind=form.kind.data,
                origin=form.origin.data,
                external_url=form.external_url.data,
                source_organisation=form.source_organisation.data or "",
                licence=form.licence.data or "",
                language=form.language.data,
                theme_ids=form.themes.data or [],
                audiences=form.audiences.data or [],
                territories=(form.territories.data or "").split(","),
                reading_minutes=form.reading_minutes.data,
                review_interval_days=form.review_interval_days.data,
                slug=form.slug.data,
            )
            if cover := _uploaded(form.cover):
                operations.set_cover(resource, cover.stream, cover.filename)
            if document := _uploaded(form.document):
                operations.set_document(resource, document.stream, document.filename)
        except LibraryError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("library/record.html", resource=resource, form=form), 400
        db.session.commit()
        flash(_("Fiche enregistrée."), "success")
        return redirect(url_for("library.resource", slug=resource.slug))
    return render_template("library/record.html", resource=resource, form=form)


@bp.post("/ressources/<slug>/verifier")
@role_required(*EDITOR_ROLES)
def verify(slug):
    resource = _load(slug)
    operations.mark_verified(resource, current_user)
    db.session.commit()
    flash(_("Ressource marquée comme vérifiée aujourd'hui."), "success")
    return redirect(url_for("library.resource", slug=resource.slug))


@bp.post("/ressources/<slug>/statut")
@role_required(*EDITOR_ROLES)
def status(slug):
    resource = _load(slug)
    try:
        operations.set_status(resource, request.form.get("status", ""))
    except (LibraryError, ValueError) as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, LibraryError) else _("Statut inconnu."), "error")
    else:
        db.session.commit()
        flash(_("Statut mis à jour."), "success")
    return redirect(url_for("library.resource", slug=resource.slug))


@bp.get("/a-relire")
@role_required(*EDITOR_ROLES)
def review_queue():
    """What editors have to do: waiting edits, drafts, guides due for a check."""
    waiting = list(
        db.session.execute(
            sa.select(Revision)
            .where(Revision.state == RevisionState.PENDING)
            .order_by(Revision.created_dt)
        ).scalars()
    )
    drafts = list(
        db.session.execute(
            sa.select(Resource)
            .where(Resource.status == ResourceStatus.DRAFT)
            .order_by(Resource.created_dt)
        ).scalars()
    )
    return render_template(
        "library/review_queue.html",
        waiting=waiting,
        drafts=drafts,
        due=operations.due_for_review(),
    )


# --- proposals ---------------------------------------------------------------------------------


def _proposal_limit() -> str:
    return current_app.config.get("LIBRARY_PROPOSAL_RATE_LIMIT", "5 per hour")


@bp.route("/proposer", methods=["GET", "POST"])
@limiter.limit(_proposal_limit, methods=["POST"])
def propose():
    """The short public form: visitors welcome, honeypot and rate limit against spam."""
    form = forms.ProposalForm()
    if request.method == "GET" and request.args.get("type") in {c[0] for c in form.kind.choices}:
        form.kind.data = request.args["type"]
    if current_user.is_authenticated:
        form.email.validators = []
    if form.validate_on_submit():
        _check_upload_size()
        if form.website.data:
            # A bot filled the hidden field: answer like a success, keep nothing.
            current_app.logger.info("library.propose: honeypot filled, proposal dropped")
            return render_template("library/proposal_thanks.html", accepted=False)
        upload = _uploaded(form.file)
        submitter = current_user if current_user.is_authenticated else None
        if submitter is None and not form.email.data:
            form.email.errors.append(_("Indiquez votre adresse e-mail."))
        else:
            try:
                proposal = proposals.submit_proposal(
                    kind=form.kind.data,
                    title=form.title.data,
                    why=form.why.data,
                    url=form.url.data,
                    fileobj=upload.stream if upload else None,
                    filename=upload.filename if upload else "",
                    submitter=submitter,
                    submitter_email=form.email.data,
                    submitter_name=form.name.data or "",
                )
            except LibraryError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                notify.proposal_received(proposal)
                return render_template(
                    "library/proposal_thanks.html",
                    accepted=proposal.status == ProposalStatus.ACCEPTED,
                    proposal=proposal,
                )
    return render_template("library/propose.html", form=form), 400 if form.errors else 200


@bp.route("/propositions/<token>", methods=["GET", "POST"])
@limiter.limit(_proposal_limit, methods=["POST"])
def revise_proposal(token):
    """The link sent with "changes requested": the submitter revises and resubmits."""
    proposal = proposals.proposal_from_edit_token(token)
    if proposal is None:
        abort(404)
    form = forms.ReviseProposalForm(obj=proposal if request.method == "GET" else None)
    if proposal.status == ProposalStatus.CHANGES_REQUESTED and form.validate_on_submit():
        try:
            proposals.revise_proposal(
                proposal, title=form.title.data, url=form.url.data, why=form.why.data
            )
        except LibraryError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            notify.proposal_received(proposal)
            return render_template("library/proposal_thanks.html", accepted=False)
    return render_template("library/revise_proposal.html", form=form, proposal=proposal)


@bp.get("/moderation")
@role_required(Role.MODERATOR, Role.ADMIN)
def moderation():
    return render_template(
        "library/moderation.html",
        queue=proposals.queue(),
        recent=proposals.recent_decisions(),
        form=forms.DecisionForm(),
        handlers=proposals.ACCEPT_HANDLERS,
    )


@bp.post("/moderation/<int:proposal_id>/<action>")
@role_required(Role.MODERATOR, Role.ADMIN)
def decide(proposal_id, action):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    form = forms.DecisionForm()
    message = form.message.data or ""
    try:
        if action == "accepter":
            created = proposals.accept_proposal(proposal, moderator=current_user, message=message)
        elif action == "refuser":
            created = proposals.decline_proposal(proposal, moderator=current_user, message=message)
        elif action == "modifications":
            created = proposals.request_changes(proposal, moderator=current_user, message=message)
        else:
            abort(404)
    except LibraryError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("library.moderation"))
    db.session.commit()
    notify.proposal_decided(proposal)
    if isinstance(created, Resource):
        flash(_("Proposition acceptée : le brouillon est prêt à compléter."), "success")
        return redirect(url_for("library.resource", slug=created.slug))
    flash(_("Décision enregistrée et envoyée à la personne."), "success")
    return redirect(url_for("library.moderation"))


# --- themes and feeds --------------------------------------------------------------------------

#: Theme page sections: (title, search kinds, upcoming only).
THEME_SECTIONS = (
    ("resources", _l("Guides et ressources"), ("resource",), False),
    ("courses", _l("Formations et replays"), ("course", "session"), False),
    ("episodes", _l("Épisodes de podcast"), ("episode",), False),
    ("people", _l("Des personnes qui peuvent témoigner"), ("person", "organisation"), False),
    ("events", _l("Évènements à venir"), ("event",), True),
    ("discussions", _l("Discussions"), ("discussion",), False),
)


@bp.get("/themes/")
def themes():
    return render_template("library/themes.html", themes=operations.get_themes())


@bp.get("/themes/<slug>")
def theme(slug):
    """Everything on one theme, from every feature, through the search index."""
    theme = operations.get_theme(slug)
    if theme is None:
        abort(404)
    visibility = visibilities_for(current_user)
    sections = [
        {
            "key": key,
            "title": title,
            "kinds": kinds,
            "documents": documents_for_theme(
                theme.id, kinds, visibility=visibility, upcoming_only=upcoming, limit=8
            ),
        }
        for key, title, kinds, upcoming in THEME_SECTIONS
    ]
    return render_template("library/theme.html", theme=theme, sections=sections, kinds=KINDS)


@bp.get("/flux.<any(atom, rss):fmt>")
def feed(fmt):
    return feeds.resources_feed(fmt, theme=None)


@bp.get("/themes/<slug>/flux.<any(atom, rss):fmt>")
def theme_feed(slug, fmt):
    theme = operations.get_theme(slug)
    if theme is None:
        abort(404)
    return feeds.resources_feed(fmt, theme=theme)
