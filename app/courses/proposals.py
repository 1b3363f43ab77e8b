"""Training proposals: contributors suggest one; moderators accept (→ draft course) or decline.

Proposals live in the library's shared moderation queue (app.library.models.Proposal, kind
"course"); this module only adds what is specific to trainings.
"""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.models import User
from app.core.db import utcnow
from app.courses import operations
from app.courses.calendars import external_url
from app.courses.models import Course
from app.extensions import db
from app.library.models import Proposal, ProposalKind, ProposalStatus
from app.mail import send_mail


def propose_training(*, title: str, url: str, why: str, submitter: User) -> Proposal:
    """Put a training proposal in the moderation queue."""
    url = operations.check_web_url(url, _("Le lien"))
    proposal = Proposal(
        kind=ProposalKind.COURSE,
        title=title.strip(),
        url=url,
        why=why.strip(),
        submitter_id=submitter.id,
        submitter_name=submitter.name,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def pending_training_proposals() -> list[Proposal]:
    return list(
        db.session.scalars(
            db.select(Proposal)
            .where(
                Proposal.kind == ProposalKind.COURSE,
                Proposal.status.in_([ProposalStatus.PENDING, ProposalStatus.CHANGES_REQUESTED]),
            )
            .order_by(Proposal.created_dt)
        )
    )


def _check_pending(proposal: Proposal) -> None:
    if proposal.kind != ProposalKind.COURSE:
        raise operations.CourseError(_("Cette proposition ne concerne pas une formation."))
    if proposal.status not in (ProposalStatus.PENDING, ProposalStatus.CHANGES_REQUESTED):
        raise operations.CourseError(_("Cette proposition a déjà été traitée."))


def accept_training(proposal: Proposal, moderator: User, message: str = "") -> Course:
    """Turn a proposal into a draft external course."""
    _check_pending(proposal)
    course = operations.create_course(
        title=proposal.title,
        created_by=moderator,
        summary=(proposal.why or "")[:500],
        is_external=True,
        provider="",
        external_url=proposal.url,
    )
    proposal.status = ProposalStatus.ACCEPTED
    proposal.moderator_id = moderator.id
    proposal.moderator_message = message.strip()
    proposal.decided_dt = utcnow()
    proposal.created_object_type = Course.__tablename__
    proposal.created_object_id = course.id
    db.session.flush()
    return course


def decline_training(proposal: Proposal, moderator: User, message: str) -> None:
    """Decline a proposal with a message for the submitter."""
    _check_pending(proposal)
    if not message.strip():
        raise operations.CourseError(
            _("Expliquez en une phrase pourquoi la proposition est déclinée.")
        )
    proposal.status = ProposalStatus.DECLINED
    proposal.moderator_id = moderator.id
    proposal.moderator_message = message.strip()
    proposal.decided_dt = utcnow()
    db.session.flush()


def notify_submitter(proposal: Proposal) -> None:
    """E-mail the decision to the submitter (call after committing it)."""
    accepted = proposal.status == ProposalStatus.ACCEPTED
    email = proposal.contact_email
    if not email:
        return
    locale = proposal.submitter.locale if proposal.submitter else None
    with force_locale(locale or "fr"):
        subject = (
            _("Votre proposition de formation est acceptée")
            if accepted
            else _("Votre proposition de formation")
        )
        text = render_template(
            "courses/mail/proposal_decision.txt",
            proposal=proposal,
            accepted=accepted,
            catalogue_url=external_url("courses.catalogue"),
        )
    send_mail(email, subject, text)
