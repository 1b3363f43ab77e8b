"""E-mails of the library: proposals received and decided, edits to review, review reminders.

Called by views after the commit, so nobody hears about something that was rolled back.
"""

from flask import current_app
from flask_babel import gettext as _

from app.library.models import Proposal, ProposalStatus, Resource, Revision, RevisionState
from app.library.operations import editors, site_url
from app.mail import send_mail


def _site() -> str:
    return current_app.config["SITE_NAME"]


def proposal_received(proposal: Proposal) -> None:
    """Thank the submitter and tell moderators there is something in the queue."""
    to = proposal.contact_email
    if to and proposal.status == ProposalStatus.PENDING:
        send_mail(
            to,
            _("Merci pour votre proposition : %(title)s", title=proposal.title),
            _(
                "Bonjour,\n\nNous avons bien reçu votre proposition « %(title)s » (%(kind)s).\n"
                "Une personne de l'équipe la relira et vous écrira dès qu'une décision est "
                "prise.\n\n%(site)s",
                title=proposal.title,
                kind=proposal.kind_label,
                site=_site(),
            ),
        )
    moderators = [u.email for u in editors() if u.has_role("moderator")]
    if moderators and proposal.status == ProposalStatus.PENDING:
        send_mail(
            moderators,
            _("Nouvelle proposition à modérer : %(title)s", title=proposal.title),
            _(
                "« %(title)s » (%(kind)s) attend une décision.\n\n%(url)s",
                title=proposal.title,
                kind=proposal.kind_label,
                url=site_url("library.moderation", external=True),
            ),
        )


def proposal_decided(proposal: Proposal) -> None:
    """Tell the submitter what was decided, with the moderator's message."""
    to = proposal.contact_email
    if not to:
        return
    status = ProposalStatus(proposal.status)
    if status == ProposalStatus.ACCEPTED:
        subject = _("Votre proposition est acceptée : %(title)s", title=proposal.title)
        intro = _(
            "Bonne nouvelle : votre proposition « %(title)s » est acceptée. Elle sera publiée "
            "une fois relue et complétée par l'équipe.",
            title=proposal.title,
        )
    elif status == ProposalStatus.DECLINED:
        subject = _("Votre proposition n'a pas été retenue : %(title)s", title=proposal.title)
        intro = _("Votre proposition « %(title)s » n'a pas été retenue.", title=proposal.title)
    else:
        from app.library.proposals import make_edit_token

        subject = _("Votre proposition demande des précisions : %(title)s", title=proposal.title)
        intro = _(
            "Avant de pouvoir accepter votre proposition « %(title)s », l'équipe a besoin de "
            "quelques modifications. Modifiez-la ici (lien valable 30 jours) :\n%(url)s",
            title=proposal.title,
            url=site_url("library.revise_proposal", external=True, token=make_edit_token(proposal)),
        )
    message = proposal.moderator_message.strip()
    text = intro + ("\n\n" + _("Message de l'équipe :") + "\n" + message if message else "")
    send_mail(to, subject, f"{_('Bonjour,')}\n\n{text}\n\n{_site()}")


def revision_waiting(revision: Revision) -> None:
    """Ask editors to review a contributor's edit."""
    to = [u.email for u in editors() if u.id != revision.author_id]
    if not to:
        return
    send_mail(
        to,
        _("Modification à relire : %(title)s", title=revision.title),
        _(
            "%(author)s propose une modification de « %(title)s » (version %(number)s) :\n"
            "%(note)s\n\nComparer et publier : %(url)s",
            author=revision.author.name if revision.author else _("Quelqu'un"),
            title=revision.title,
            number=revision.number,
            note=revision.change_note or "—",
            url=site_url(
                "library.revision",
                external=True,
                slug=revision.resource.slug,
                number=revision.number,
            ),
        ),
    )


def revision_decided(revision: Revision) -> None:
    """Tell the author whether their edit went online."""
    if revision.author is None or revision.author_id == revision.reviewed_by_id:
        return
    resource = revision.resource
    if revision.state == RevisionState.PUBLISHED:
        subject = _("Votre modification est en ligne : %(title)s", title=resource.title)
        text = _("Merci ! Votre modification de « %(title)s » est publiée.", title=resource.title)
    else:
        subject = _("Votre modification n'a pas été publiée : %(title)s", title=resource.title)
        text = _("Votre modification de « %(title)s » n'a pas été publiée.", title=resource.title)
        if revision.review_message:
            text += "\n\n" + _("Message de l'équipe :") + "\n" + revision.review_message
    url = site_url("library.resource", external=True, slug=resource.slug)
    send_mail(revision.author.email, subject, f"{text}\n\n{url}\n\n{_site()}")


def review_reminder(resources: list[Resource]) -> None:
    """Remind editors which guides are due for a check ("cette fiche est-elle à jour ?")."""
    to = [u.email for u in editors()]
    if not to or not resources:
        return
    lines = [
        f"- {r.title} — {site_url('library.resource', slug=r.slug, external=True)}"
        for r in resources
    ]
    send_mail(
        to,
        _("%(count)s ressource(s) à vérifier", count=len(resources)),
        _(
            "Ces ressources n'ont pas été vérifiées depuis longtemps. Relisez-les, corrigez-les "
            "si besoin puis cliquez sur « Marquer comme vérifiée » :"
        )
        + "\n\n"
        + "\n".join(lines)
        + f"\n\n{_site()}",
    )
