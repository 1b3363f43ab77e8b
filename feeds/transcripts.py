"""Transcript builders: WebVTT (Apple, browsers) and SubRip (older AntennaPod) from one cue list."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from feeds.types import Cue, FeedError

_BLANK_LINES = re.compile(r"\n\s*\n+")


def format_timestamp(seconds: float, *, decimal: str = ".") -> str:
    """Format seconds as `HH:MM:SS.mmm` (WebVTT) or, with decimal=",", `HH:MM:SS,mmm` (SRT)."""
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"


def build_webvtt(cues: Iterable[Sequence]) -> str:
    """Render cues as a WebVTT document; a cue's speaker becomes a `<v Speaker>` voice span."""
    blocks = ["WEBVTT"]
    for cue in _checked(cues):
        text = _escape_vtt(cue.text)
        if cue.speaker:
            text = f"<v {_escape_vtt(cue.speaker)}>{text}"
        start, end = format_timestamp(cue.start_s), format_timestamp(cue.end_s)
        blocks.append(f"{start} --> {end}\n{text}")
    return "\n\n".join(blocks) + "\n"


def build_srt(cues: Iterable[Sequence]) -> str:
    """Render cues as a SubRip document; SRT has no voice markup, so speakers prefix the text."""
    blocks = []
    for index, cue in enumerate(_checked(cues), start=1):
        text = f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text
        start = format_timestamp(cue.start_s, decimal=",")
        end = format_timestamp(cue.end_s, decimal=",")
        blocks.append(f"{index}\n{start} --> {end}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _checked(cues: Iterable[Sequence]) -> list[Cue]:
    result: list[Cue] = []
    for raw in cues:
        cue = raw if isinstance(raw, Cue) else Cue(*raw)
        # A blank line ends a cue in both formats, and "-->" would read as a timing line.
        text = _BLANK_LINES.sub("\n", cue.text.replace("\r\n", "\n").replace("\r", "\n"))
        text = text.replace("-->", "→").strip()
        if not text:
            continue
        if cue.start_s < 0 or cue.end_s <= cue.start_s:
            raise FeedError(f"cue {text[:40]!r} must end after it starts, at 0 s or later")
        if result and cue.start_s < result[-1].start_s:
            raise FeedError(f"cue {text[:40]!r} starts before the previous cue")
        result.append(cue._replace(text=text))
    return result


def _escape_vtt(text: str) -> str:
    # WebVTT cue text is markup: &, < and > must be character references.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
