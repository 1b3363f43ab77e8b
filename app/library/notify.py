"""E-mails of the library: proposals received and decided, edits to review, review reminders.

Called by views after the commit, so nobody hears about something that was rolled back. Each
message is written in its recipient's language (``app.mail``): accounts get the language they
chose; a visitor's address gets the language they used the site in when they are the one asking,
and the site's default language afterwards.
"""

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _

from app.core.i18n import translated
from app.core.templating import get_site_name
from app.library.models import Proposal, ProposalStatus, Resource, Revision, RevisionState
from app.library.operations import editors, site_url
from app.mail import emails_by_locale, locale_of, send_mail


def _submitter_locale(proposal: Proposal, *, asking: bool = False) -> str:
    """The language to write to whoever proposed: their account's, or the page's they used."""
    if proposal.submitter is not None:
        return locale_of(proposal.submitter)
    if asking and has_request_context():
        return str(get_locale())
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def proposal_received(proposal: Proposal) -> None:
    """Thank the submitter and tell moderators there is something in the queue."""
    if proposal.status != ProposalStatus.PENDING:
        return
    to = proposal.contact_email
    if to:
        with force_locale(_submitter_locale(proposal, asking=True)):
            send_mail(
                to,
                _("Merci pour votre proposition : %(title)s", title=proposal.title),
                _(
                    "Bonjour,\n\nNous avons bien reçu votre proposition « %(title)s » "
                    "(%(kind)s).\nUne personne de l'équipe la relira et vous écrira dès qu'une "
                    "décision est prise.\n\n%(site)s",
                    title=proposal.title,
                    kind=proposal.kind_label,
                    site=get_site_name(),
                ),
            )
    moderators = [u for u in editors() if u.has_role("moderator")]
    for locale, emails in emails_by_locale(moderators).items():
        with force_locale(locale):
            send_mail(
                emails,
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
    with force_locale(_submitter_locale(proposal)):
        subject, text = _decision_text(proposal)
        send_mail(to, subject, f"{_('Bonjour,')}\n\n{text}\n\n{get_site_name()}")


def _decision_text(proposal: Proposal) -> tuple[str, str]:
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
    # A Message written by the site ("Acceptée automatiquement.") reads in this language.
    message = str(translated(proposal.moderator_message or "")).strip()
    if message:
        intro += "\n\n" + _("Message de l'équipe :") + "\n" + message
    return subject, intro


def revision_waiting(revision: Revision) -> None:
    """Ask editors to review a contributor's edit."""
    recipients = [u for u in editors() if u.id != revision.author_id]
    for locale, emails in emails_by_locale(recipients).items():
        with force_locale(locale):
            send_mail(
                emails,
                _("Modification à relire : %(title)s", title=revision.title),
                _(
                    "%(author)s propose une modification de « %(title)s » (version "
                    "%(number)s) :\n%(note)s\n\nComparer et publier : %(url)s",
                    author=revision.author.name if revision.author else _("Quelqu'un"),
                    title=revision.title,
                    number=revision.number,
                    note=translated(revision.change_note) or "—",
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
    with force_locale(locale_of(revision.author)):
        if revision.state == RevisionState.PUBLISHED:
            subject = _("Votre modification est en ligne : %(title)s", title=resource.title)
            text = _(
                "Merci ! Votre modification de « %(title)s » est publiée.", title=resource.title
            )
        else:
            subject = _("Votre modification n'a pas été publiée : %(title)s", title=resource.title)
            text = _(
                "Votre modification de « %(title)s » n'a pas été publiée.", title=resource.title
            )
            if revision.review_message:
                text += "\n\n" + _("Message de l'équipe :") + "\n" + revision.review_message
        url = site_url("library.resource", external=True, slug=resource.slug)
        send_mail(revision.author.email, subject, f"{text}\n\n{url}\n\n{get_site_name()}")


def review_reminder(resources: list[Resource]) -> None:
    """Remind editors which guides are due for a check ("cette fiche est-elle à jour ?")."""
    if not resources:
        return
    lines = [
        f"- {r.title} — {site_url('library.resource', slug=r.slug, external=True)}"
        for r in resources
    ]
    for locale, emails in emails_by_locale(editors()).items():
        with force_locale(locale):
            send_mail(
                emails,
                ngettext(
                    "%(num)s ressource à vérifier", "%(num)s ressources à vérifier", len(resources)
                ),
                _(
                    "Ces ressources n'ont pas été vérifiées depuis longtemps. Relisez-les, "
                    "corrigez-les si besoin puis cliquez sur « Marquer comme vérifiée » :"
                )
                + "\n\n"
                + "\n".join(lines)
                + f"\n\n{get_site_name()}",
            )
