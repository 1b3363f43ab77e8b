"""Transcripts of an audio edition: timed cues and plain text, from the sections' own text.

Cues are plain ``(start_s, end_s, text)`` tuples, the shape ``feeds.transcripts.build_webvtt``
and ``build_srt`` render; this module stays below ``feeds`` and does not import it.
"""

import re
from collections.abc import Sequence
from typing import NamedTuple

from app.tts.assemble import SectionTiming
from app.tts.text import Section

_ORDERED_MARKER_RE = re.compile(r"^\d+\. ")


class Cue(NamedTuple):
    """One transcript cue."""

    start_s: float
    end_s: float
    text: str


def build_cues(
    sections: Sequence[Section], timings: Sequence[SectionTiming], duration_ms: int
) -> list[Cue]:
    """Time one cue per chunk, sharing each section's speech in proportion to spoken length."""
    # Cues follow each other without gaps from 0 to the end of the episode: a cue stays on
    # screen through the pause or jingle that follows it.
    if len(sections) != len(timings):
        raise ValueError("one timing per section is needed")
    timed: list[tuple[int, str]] = []  # (start in ms, written text)
    for section, timing in zip(sections, timings, strict=True):
        chunks = section.chunks
        total = sum(len(chunk.spoken) for chunk in chunks) or 1
        span = timing.end_ms - timing.start_ms
        done = 0
        for chunk in chunks:
            timed.append((timing.start_ms + round(span * done / total), chunk.written))
            done += len(chunk.spoken)
    cues: list[Cue] = []
    for number, (start_ms, text) in enumerate(timed):
        start = 0 if number == 0 else start_ms
        end = timed[number + 1][0] if number + 1 < len(timed) else duration_ms
        if end > start:
            cues.append(Cue(start / 1000, end / 1000, text))
        elif cues:
            # Too short to time on its own (a few characters): join the previous cue.
            last = cues[-1]
            cues[-1] = last._replace(text=f"{last.text} {text}")
    return cues


def build_plain_text(sections: Sequence[Section]) -> str:
    """Return the transcript as plain text: headings, paragraphs and list items as written."""
    blocks: list[str] = []
    for section in sections:
        for paragraph in section.paragraphs:
            text = paragraph.written
            if paragraph.kind == "item" and not _ORDERED_MARKER_RE.match(text):
                text = "- " + text
            elif paragraph.kind == "notice":
                text = f"[{text}]"
            blocks.append(text)
    return "\n\n".join(blocks) + "\n"
