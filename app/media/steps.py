"""Processing steps as people read them: the pipeline's, and those other features register for
the jobs they run on media (text-to-speech adds "synthesis"). Job pages read names here, without
loading the pipeline and its ffmpeg builders."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.i18n import Message

#: Step names (Messages: translated wherever they are shown, failure reasons included).
STEP_LABELS: dict[str, Message] = {
    "": Message("En attente"),
    "probe": Message("Analyse du fichier"),
    "validate": Message("Vérification"),
    "web_video": Message("Vidéo pour le web"),
    "images": Message("Affiche et vignettes"),
    "audio_edition": Message("Version audio"),
    "waveform": Message("Forme d'onde"),
    "publish": Message("Publication"),
    "cut": Message("Découpe du montage"),
}


def register_step_labels(labels: Mapping[str, Message]) -> None:
    """Add a feature's step names; the media pipeline's own names are kept."""
    for step, label in labels.items():
        STEP_LABELS.setdefault(step, label)


def step_label(step: str | None) -> str:
    """The step's name in the reader's language (the raw name when it has none)."""
    label = STEP_LABELS.get(step or "")
    return str(label) if label is not None else (step or "")
