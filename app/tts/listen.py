"""The "Écouter ce guide" block: what a guide page needs to show its audio edition.

The library's page includes ``templates/tts/listen_block.html`` with ``resource`` in its context;
the template calls the ``tts_edition_for(resource)`` global defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_login import current_user

from app.auth.models import Role
from app.core.i18n import translated
from app.media.models import JobState, ProcessingJob, Rendition, RenditionKind
from app.tts.models import EditionStatus, GuideEdition
from app.tts.operations import get_edition, is_guide
from app.tts.steps import STEP_LABELS

#: Roles allowed to ask for a (re)generation.
EDITOR_ROLES = (Role.MODERATOR, Role.ANIMATOR, Role.ADMIN)


def can_generate(user) -> bool:
    """Tell whether the user may ask for an audio edition."""
    return bool(user is not None and user.is_authenticated and user.has_role(*EDITOR_ROLES))


@dataclass
class ListenBlock:
    """The audio edition of a guide as a page shows it."""

    resource_id: int
    edition: GuideEdition | None
    audio: Rendition | None
    audio_url: str | None = None
    vtt_url: str | None = None
    chapters_url: str | None = None
    transcript_url: str | None = None
    page_url: str | None = None
    duration_s: float | None = None
    chapters: list[dict] = field(default_factory=list)
    job: ProcessingJob | None = None
    status: dict | None = None
    can_generate: bool = False
    generate_url: str | None = None
    state_url: str | None = None
    job_url: str | None = None

    @property
    def in_progress(self) -> bool:
        return self.job is not None and self.job.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def failed(self) -> bool:
        return self.edition is not None and self.edition.status == EditionStatus.FAILED


def job_status(job: ProcessingJob | None, edition: GuideEdition | None) -> dict | None:
    """Return the state of the latest generation as JSON (polled by tts.js)."""
    if job is None:
        return None
    return {
        "job_id": job.id,
        "state": job.state.value,
        "edition_status": edition.status.value if edition is not None else None,
        "step": job.step,
        "step_label": str(STEP_LABELS.get(job.step, job.step)),
        "percent": int(round((job.progress or 0.0) * 100)),
        "eta_s": None if job.eta_s is None else round(job.eta_s),
        "error": translated(job.error),
        "finished": job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED),
    }


def _file_url(rendition: Rendition | None) -> str | None:
    if rendition is None:
        return None
    from app.media.serving import media_url

    return media_url(rendition.file)


def tts_edition_for(resource) -> ListenBlock | None:
    """Return the listen block of a guide (None for resources that are not guides)."""
    if not is_guide(resource):
        return None
    edition = get_edition(resource.id)
    editor = can_generate(current_user)
    asset = edition.asset if edition is not None else None
    audio = asset.rendition(RenditionKind.AUDIO_EDITION) if asset is not None else None
    block = ListenBlock(
        resource_id=resource.id,
        edition=edition,
        audio=audio,
        can_generate=editor,
        generate_url=url_for("tts.generate", resource_id=resource.id) if editor else None,
        page_url=url_for("tts.edition", resource_id=resource.id),
    )
    if audio is not None and asset.status.value == "ready":
        block.audio_url = _file_url(audio)
        block.vtt_url = _file_url(asset.rendition(RenditionKind.TRANSCRIPT_VTT))
        block.chapters_url = _file_url(asset.rendition(RenditionKind.CHAPTERS))
        block.duration_s = audio.duration_s or asset.duration_s
        block.chapters = list(asset.chapters or [])
        if edition.transcript_file_id:
            block.transcript_url = url_for("tts.transcript", resource_id=resource.id)
    else:
        block.audio = None
    if edition is not None and editor:
        block.job = edition.last_job
        block.status = job_status(edition.last_job, edition)
        block.state_url = url_for("tts.state", resource_id=resource.id)
        if block.job is not None:
            block.job_url = _media_job_url(block.job)
    elif edition is not None:
        block.job = edition.last_job
    return block


def guide_url(resource) -> str | None:
    """Return the library page of a guide, if the library exposes one."""
    from werkzeug.routing import BuildError

    for endpoint, args in (
        ("library.resource", {"slug": resource.slug}),
        ("library.resource", {"resource_id": resource.id}),
        ("library.show", {"slug": resource.slug}),
    ):
        try:
            return url_for(endpoint, **args)
        except BuildError:
            continue
    return None


def _media_job_url(job: ProcessingJob) -> str | None:
    """Link to the media helper's job page when the user may open it there."""
    from app.core.templating import has_endpoint
    from app.media.serving import can_manage

    if not has_endpoint("media.job") or not current_user.has_role(Role.ANIMATOR):
        return None
    if not can_manage(job.asset, current_user):
        return None
    return url_for("media.job", job_id=job.id)
