"""The text-to-speech job's steps: their share of the progress bar and their names."""

from app.core.i18n import Message

#: Share of the whole job each step takes (progress bar and time left).
STEP_WEIGHTS = {"synthesis": 0.62, "audio_edition": 0.33, "publish": 0.05}
#: Step names as editors read them (Messages: translated wherever they are shown, failure
#: reasons included).
STEP_LABELS = {
    "": Message("En attente"),
    "synthesis": Message("Synthèse vocale et assemblage"),
    "audio_edition": Message("Normalisation et encodage MP3"),
    "publish": Message("Publication"),
}
