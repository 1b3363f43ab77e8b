"""What the library gives the network feature: guides on person pages, resource threads,
personal data and account deletion."""

import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from app.library.models import Proposal, Resource, ResourceStatus, Revision, RevisionState


def person_contributions(person) -> list[dict]:
    """Published resources with a published revision written by the person's account."""
    if not person.user_id:
        return []
    rows = db.session.execute(
        sa.select(Resource.slug, Resource.title, Resource.kind, sa.func.max(Revision.created_dt))
        .join(Revision, Revision.resource_id == Resource.id)
        .where(
            Revision.author_id == person.user_id,
            Revision.state == RevisionState.PUBLISHED,
            Resource.status == ResourceStatus.PUBLISHED,
        )
        .group_by(Resource.id, Resource.slug, Resource.title, Resource.kind)
    ).all()
    return [
        {
            "kind": "guide" if kind.value == "guide" else "resource",
            "title": title,
            "url": url_for("library.resource", slug=slug),
            "date": written_dt,
        }
        for slug, title, kind, written_dt in rows
    ]


def resource_thread_target(resource_id: int):
    """Describe a published resource as the subject of a discussion thread."""
    from app.network.operations import ThreadTarget

    resource = db.session.get(Resource, resource_id)
    if resource is None or resource.status != ResourceStatus.PUBLISHED:
        return None
    theme = resource.themes[0].slug if resource.themes else None
    return ThreadTarget(
        title=resource.title,
        url=url_for("library.resource", slug=resource.slug),
        theme_slug=theme,
    )


def personal_data(user) -> dict:
    """The revisions and proposals a user wrote, for "télécharger mes données"."""
    revisions = db.session.scalars(
        sa.select(Revision).where(Revision.author_id == user.id).order_by(Revision.id)
    ).all()
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.submitter_id == user.id).order_by(Proposal.id)
    ).all()
    return {
        "library_revisions": [
            {
                "resource": r.resource.slug,
                "number": r.number,
                "title": r.title,
                "state": r.state.value,
                "created": r.created_dt.isoformat(),
            }
            for r in revisions
        ],
        "library_proposals": [
            {
                "kind": p.kind.value,
                "title": p.title,
                "url": p.url,
                "status": p.status.value,
                "created": p.created_dt.isoformat(),
            }
            for p in proposals
        ],
    }


def forget_user(user) -> None:
    """Keep the user's texts (the wiki needs its history) but drop contact details."""
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.submitter_id == user.id)
        .values(submitter_email=None, submitter_name="")
    )


def register() -> None:
    """Plug the library into the network feature's registries."""
    from app.network import operations

    operations.register_contribution_provider(person_contributions)
    operations.register_thread_target("resource", resource_thread_target)
    operations.register_personal_data_provider(personal_data)
    operations.register_account_deletion_handler(forget_user)
