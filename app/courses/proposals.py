"""Training proposals: the library's shared queue (app.library.proposals) handles proposing,
moderation, decline messages and notices; accepting a "course" proposal lands here and creates
a draft partner training for animators to complete and publish."""

from app.courses import operations
from app.courses.models import Course
from app.library.models import Proposal


def accept_training(proposal: Proposal) -> Course:
    """Turn an accepted training proposal into a draft external course (flush, no commit)."""
    summary = " ".join((proposal.why or "").split())[:500]
    if proposal.url:
        return operations.create_course(
            title=proposal.title,
            created_by=proposal.moderator,
            summary=summary,
            is_external=True,
            external_url=proposal.url,
        )
    # A PDF programme without a link: an internal draft the team completes by hand.
    return operations.create_course(
        title=proposal.title, created_by=proposal.moderator, summary=summary
    )
