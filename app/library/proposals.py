"""Proposals ("Proposer une ressource / une formation / un évènement / une fiche annuaire").

One queue for every kind. Accepting a proposal turns it into a draft object through the handler
registered for its kind: this package handles "resource"; other features plug in theirs::

    from app.library.proposals import register_accept_handler

    def accept_course(proposal):      # flush, never commit; return the created draft object
        ...
    register_accept_handler("course", accept_course)   # in the feature's init_app

Without a handler, accepting records the decision with a note, so moderators can act by hand.
"""

from collections.abc import Callable
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth.models import User
from app.core.db import utcnow
from app.core.i18n import Message
from app.extensions import db
from app.library.models import (
    Origin,
    Proposal,
    ProposalKind,
    ProposalStatus,
    ResourceKind,
)
from app.library.operations import LibraryError, create_resource, is_editor, is_pdf
from app.media.operations import store_file

#: kind → callable(proposal) -> created draft object (flushed, with an ``id``).
ACCEPT_HANDLERS: dict[str, Callable[[Proposal], object]] = {}

#: Accepted proposals after which a contributor's proposals skip the queue.
TRUSTED_AFTER_ACCEPTED = 3


def register_accept_handler(kind: str, handler: Callable[[Proposal], object]) -> None:
    """Let a feature turn accepted proposals of one kind into its own draft objects."""
    ACCEPT_HANDLERS[ProposalKind(kind).value] = handler


def accept_resource(proposal: Proposal):
    """Turn a resource proposal into a draft resource for editors to complete and publish."""
    external = bool(proposal.url)
    body_parts = [proposal.why.strip()]
    if proposal.url:
        body_parts.append(f"[{proposal.url}]({proposal.url})")
    resource = create_resource(
        author=proposal.submitter,
        title=proposal.title,
        kind=ResourceKind.EXTERNAL_LINK
        if external and not proposal.file_id
        else ResourceKind.DOCUMENT
        if proposal.file_id
        else ResourceKind.ARTICLE,
        summary=proposal.why.strip()[:500],
        body="\n\n".join(p for p in body_parts if p),
        origin=Origin.EXTERNAL if external else Origin.INTERNAL,
        external_url=proposal.url,
        change_note=Message("Créée depuis la proposition n° %(id)s", id=proposal.id),
    )
    if proposal.file_id:
        resource.document_id = proposal.file_id
    return resource


register_accept_handler(ProposalKind.RESOURCE, accept_resource)


def is_trusted(user: User | None) -> bool:
    """Editors, and contributors with enough accepted proposals, skip the queue."""
    if user is None or not user.is_authenticated:
        return False
    if is_editor(user):
        return True
    if not user.has_role("contributor"):
        return False
    accepted = db.session.execute(
        sa.select(sa.func.count(Proposal.id)).where(
            Proposal.submitter_id == user.id, Proposal.status == ProposalStatus.ACCEPTED
        )
    ).scalar_one()
    return accepted >= TRUSTED_AFTER_ACCEPTED


def submit_proposal(
    *,
    kind: str,
    title: str,
    why: str,
    url: str | None = None,
    fileobj: BinaryIO | None = None,
    filename: str = "",
    submitter: User | None = None,
    submitter_email: str | None = None,
    submitter_name: str = "",
) -> Proposal:
    """Record a proposal; a trusted contributor's is accepted at once (a draft is created)."""
    if not title.strip() or not why.strip():
        raise LibraryError(_("Le titre et « pourquoi c'est utile » sont obligatoires."))
    if not url and fileobj is None:
        raise LibraryError(_("Indiquez un lien ou joignez un fichier."))
    if submitter is None and not submitter_email:
        raise LibraryError(_("Indiquez votre adresse e-mail pour être tenu·e au courant."))
    proposal = Proposal(
        kind=ProposalKind(kind),
        title=title.strip(),
        why=why.strip(),
        url=url or None,
        submitter=submitter,
        submitter_email=None if submitter else submitter_email.strip().lower(),
        submitter_name=submitter_name.strip(),
    )
    if fileobj is not None:
        head = fileobj.read(8)
        fileobj.seek(0)
        if not is_pdf(head):
            raise LibraryError(_("Le fichier joint doit être un PDF."))
        proposal.file = store_file(
            fileobj, "proposition.pdf", prefix="library/proposals", content_type="application/pdf"
        )
    db.session.add(proposal)
    db.session.flush()
    if is_trusted(submitter):
        accept_proposal(proposal, moderator=None, message=Message("Acceptée automatiquement."))
    return proposal


def accept_proposal(
    proposal: Proposal, *, moderator: User | None, message: str | Message = ""
) -> object:
    """Accept: create the draft object through the kind's handler; return it (or None)."""
    if proposal.status == ProposalStatus.ACCEPTED:
        raise LibraryError(_("Cette proposition a déjà été acceptée."))
    handler = ACCEPT_HANDLERS.get(ProposalKind(proposal.kind).value)
    created = handler(proposal) if handler else None
    proposal.status = ProposalStatus.ACCEPTED
    proposal.moderator = moderator
    proposal.decided_dt = utcnow()
    if not isinstance(message, Message):
        message = message.strip()
    if created is None:
        # Stored: the note is written by the site, so it is a Message read in each language.
        note = Message("Aucun brouillon créé automatiquement pour ce type : à saisir à la main.")
        message = Message("%(message)s\n%(note)s", message=message, note=note) if message else note
    else:
        proposal.created_object_type = getattr(created, "__tablename__", type(created).__name__)
        proposal.created_object_id = created.id
    proposal.moderator_message = message
    db.session.flush()
    return created


def decline_proposal(proposal: Proposal, *, moderator: User, message: str) -> None:
    """Decline, with a message explaining why (sent to the submitter)."""
    if not message.strip():
        raise LibraryError(_("Expliquez la raison du refus à la personne qui a proposé."))
    _decide(proposal, ProposalStatus.DECLINED, moderator, message)


def request_changes(proposal: Proposal, *, moderator: User, message: str) -> None:
    """Ask the submitter for changes (the proposal stays in the queue)."""
    if not message.strip():
        raise LibraryError(_("Précisez les modifications attendues."))
    _decide(proposal, ProposalStatus.CHANGES_REQUESTED, moderator, message)


def _decide(proposal, status, moderator, message):
    if proposal.status == ProposalStatus.ACCEPTED:
        raise LibraryError(_("Cette proposition a déjà été acceptée."))
    proposal.status = status
    proposal.moderator = moderator
    proposal.moderator_message = message.strip()
    proposal.decided_dt = utcnow()
    db.session.flush()


#: How long the "modify your proposal" link in the e-mail stays valid.
EDIT_LINK_MAX_AGE = 30 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="library-proposal-edit")


def make_edit_token(proposal: Proposal) -> str:
    """Return the signed token of the link letting the submitter revise a proposal."""
    return _serializer().dumps({"id": proposal.id})


def proposal_from_edit_token(token: str) -> Proposal | None:
    """Return the proposal a valid, unexpired edit token points to."""
    try:
        data = _serializer().loads(token, max_age=EDIT_LINK_MAX_AGE)
    except BadSignature:
        return None
    return db.session.get(Proposal, data.get("id")) if isinstance(data, dict) else None


def revise_proposal(proposal: Proposal, *, title: str, url: str | None, why: str) -> None:
    """Apply the submitter's changes and put the proposal back in the queue."""
    if proposal.status != ProposalStatus.CHANGES_REQUESTED:
        raise LibraryError(_("Cette proposition n'attend pas de modification."))
    if not title.strip() or not why.strip():
        raise LibraryError(_("Le titre et « pourquoi c'est utile » sont obligatoires."))
    if not url and proposal.file_id is None:
        raise LibraryError(_("Indiquez un lien ou joignez un fichier."))
    proposal.title = title.strip()
    proposal.url = url or None
    proposal.why = why.strip()
    proposal.status = ProposalStatus.PENDING
    db.session.flush()


def queue(statuses=(ProposalStatus.PENDING, ProposalStatus.CHANGES_REQUESTED)) -> list[Proposal]:
    """Proposals waiting for a decision, oldest first."""
    return list(
        db.session.execute(
            sa.select(Proposal).where(Proposal.status.in_(statuses)).order_by(Proposal.created_dt)
        ).scalars()
    )


def recent_decisions(limit: int = 20) -> list[Proposal]:
    return list(
        db.session.execute(
            sa.select(Proposal)
            .where(Proposal.status.in_((ProposalStatus.ACCEPTED, ProposalStatus.DECLINED)))
            .order_by(Proposal.decided_dt.desc())
            .limit(limit)
        ).scalars()
    )
