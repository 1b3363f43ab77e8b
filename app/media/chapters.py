"""One chapter list for ID3 CHAP/CTOC frames and Podcasting 2.0 JSON chapters (version 1.2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

JSON_CHAPTERS_VERSION = "1.2"
#: The media type podcast apps expect for <podcast:chapters>.
JSON_CHAPTERS_MIMETYPE = "application/json+chapters"


@dataclass(frozen=True)
class Chapter:
    """A chapter starting at ``start`` seconds; ``end`` is filled by with_end_times."""

    start: float
    title: str
    end: float | None = None
    url: str | None = None
    img: str | None = None


def with_end_times(chapters: Iterable[Chapter], duration: float) -> list[Chapter]:
    """Sort chapters and end each one where the next starts (the last at ``duration``)."""
    ordered = sorted((c for c in chapters if 0 <= c.start < duration), key=lambda c: c.start)
    result = []
    for index, chapter in enumerate(ordered):
        end = ordered[index + 1].start if index + 1 < len(ordered) else duration
        result.append(replace(chapter, end=end))
    return result


def build_chapters_json(chapters: Iterable[Chapter]) -> dict[str, Any]:
    """Return the JSON chapters document (podcast namespace, version 1.2)."""
    items = []
    for chapter in sorted(chapters, key=lambda c: c.start):
        item: dict[str, Any] = {"startTime": round(chapter.start, 3), "title": chapter.title}
        if chapter.end is not None:
            item["endTime"] = round(chapter.end, 3)
        if chapter.url:
            item["url"] = chapter.url
        if chapter.img:
            item["img"] = chapter.img
        items.append(item)
    return {"version": JSON_CHAPTERS_VERSION, "chapters": items}


def chapters_from_json(document: dict[str, Any]) -> list[Chapter]:
    """Read chapters back from a JSON chapters document."""
    return [
        Chapter(
            start=float(item["startTime"]),
            title=item.get("title", ""),
            end=float(item["endTime"]) if "endTime" in item else None,
            url=item.get("url"),
            img=item.get("img"),
        )
        for item in document.get("chapters", [])
    ]


def shift_chapters(chapters: Iterable[Chapter], offset_s: float) -> list[Chapter]:
    """Move every chapter by ``offset_s`` (an intro jingle pushes the content later)."""
    return [
        replace(
            chapter,
            start=chapter.start + offset_s,
            end=None if chapter.end is None else chapter.end + offset_s,
        )
        for chapter in chapters
    ]


def apply_keep_ranges(
    chapters: Iterable[Chapter], keep_ranges: Sequence[tuple[float, float]]
) -> list[Chapter]:
    """Map chapter starts through an edit (sorted keep-ranges); ends must be recomputed after.

    A chapter starting inside a removed part moves to where the content resumes; when several
    land on the same instant the last one wins, since it is the one describing what follows.
    """
    by_time: dict[float, Chapter] = {}
    for chapter in sorted(chapters, key=lambda c: c.start):
        offset = 0.0
        for start, end in keep_ranges:
            if chapter.start < end:
                new_start = round(offset + max(0.0, chapter.start - start), 3)
                by_time[new_start] = replace(chapter, start=new_start, end=None)
                break
            offset += end - start
    return [by_time[t] for t in sorted(by_time)]
