"""A show's intro and outro jingles, played around every audio edition made for it.

An animator picks, for each end, nothing, the platform's chime (synthesised by ffmpeg, nothing
to license) or a short audio file of the show's own. The pipeline asks for them through the
metadata provider (``asset_metadata`` in operations.py) and normalises them with the content as
one programme, so a loud jingle never jumps out. Changing a jingle applies to the next
processing; "reprocess" on a recording's page applies it to an existing episode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import BinaryIO

from app.core.i18n import Message
from app.extensions import db
from app.media.models import StoredFile
from app.media.operations import store_file
from app.podcasts.models import Show

PLACES = ("intro", "outro")
#: A jingle is a signature, not a segment: longer files are refused.
MAX_SECONDS = 30.0
MIN_SECONDS = 0.2
CHIME_PREFIX = "podcasts/jingles/chime"
UPLOAD_PREFIX = "podcasts/jingles"


class JingleError(ValueError):
    """A jingle the platform refuses; the message (a Message) says why."""


def current(show: Show, place: str) -> StoredFile | None:
    """The show's jingle at ``place`` ("intro" or "outro"), if any."""
    return getattr(show, f"{place}_jingle")


def kind_of(show: Show, place: str) -> str:
    """ "none", "chime" (the platform's) or "file" (the show's own)."""
    stored = current(show, place)
    if stored is None:
        return "none"
    return "chime" if stored.key.startswith(CHIME_PREFIX) else "file"


def _chime(place: str) -> StoredFile:
    """Synthesise the platform's chime for ``place`` (rising for the intro, falling after)."""
    from app.media.audio import build_jingle
    from app.media.profiles import JINGLES
    from app.media.runner import run_ffmpeg

    notes = JINGLES.intro_frequencies if place == "intro" else JINGLES.outro_frequencies
    work = tempfile.mkdtemp(prefix="jingle-")
    try:
        wav = os.path.join(work, f"{place}.wav")
        run_ffmpeg(lambda tmp: build_jingle(tmp, notes, JINGLES), output=wav)
        with open(wav, "rb") as fh:
            return store_file(
                fh, f"carillon-{place}.wav", prefix=CHIME_PREFIX, content_type="audio/wav"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _uploaded(source: BinaryIO, filename: str) -> StoredFile:
    """Check an uploaded jingle (decodable audio, 0.2 to 30 s) and store it untouched."""
    from app.media.probe import MediaRejected, probe

    work = tempfile.mkdtemp(prefix="jingle-")
    try:
        path = os.path.join(work, "upload")
        with open(path, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        try:
            result = probe(path)
        except MediaRejected as exc:
            raise JingleError(exc.reason) from exc
        if result.audio is None:
            raise JingleError(Message("Ce fichier ne contient pas de son."))
        duration = result.duration or 0.0
        if not MIN_SECONDS <= duration <= MAX_SECONDS:
            raise JingleError(
                Message(
                    "Un jingle dure entre 0,2 et %(max)d secondes ; celui-ci dure %(seconds)d s.",
                    max=int(MAX_SECONDS),
                    seconds=round(duration),
                )
            )
        with open(path, "rb") as fh:
            return store_file(fh, filename or "jingle", prefix=UPLOAD_PREFIX)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def set_jingle(
    show: Show,
    place: str,
    choice: str,
    *,
    upload: BinaryIO | None = None,
    filename: str = "",
) -> StoredFile | None:
    """Apply the form's choice for one end: "none", "chime", "keep", or an uploaded file
    (which wins over the choice). Flushes; returns the jingle now in place."""
    if place not in PLACES:
        raise ValueError(place)
    attribute = f"{place}_jingle"
    if upload is not None:
        setattr(show, attribute, _uploaded(upload, filename))
    elif choice == "none":
        setattr(show, attribute, None)
    elif choice == "chime" and kind_of(show, place) != "chime":
        setattr(show, attribute, _chime(place))
    elif choice not in ("chime", "keep", "file"):
        raise JingleError(Message("Choix de jingle inconnu."))
    db.session.flush()
    return current(show, place)


def jingles_metadata(show: Show | None) -> dict:
    """What the media pipeline reads: {"intro_jingle": StoredFile, "outro_jingle": …}."""
    if show is None:
        return {}
    found = {f"{place}_jingle": current(show, place) for place in PLACES}
    return {name: stored for name, stored in found.items() if stored is not None}
