"""ID3 tags for the audio edition: metadata, cover art and CHAP/CTOC chapters (mutagen)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TDRC,
    TIT2,
    TLEN,
    TPE1,
    CTOCFlags,
    ID3NoHeaderError,
    PictureType,
)

from app.media.chapters import Chapter, with_end_times

TOC_ELEMENT_ID = "toc"
#: CHAP frames may point at byte offsets too; 0xFFFFFFFF tells players to use the times only.
NO_OFFSET = 0xFFFFFFFF
#: Podcast apps read ID3v2.3 most reliably (Apple's own tools write it).
ID3_VERSION = 3
UTF8 = 3
#: A CTOC frame counts its entries in one byte.
ID3_MAX_CHAPTERS = 255


@dataclass(frozen=True)
class TagInfo:
    """What a player will read from the file's ID3 tag."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    date: str | None = None
    comment: str | None = None
    cover_mime: str | None = None
    cover_size: int = 0
    chapters: list[Chapter] = field(default_factory=list)


def chapter_element_id(index: int) -> str:
    """Return the CHAP element id of the chapter at ``index``."""
    return f"chp{index}"


def build_chapter_frames(chapters: Sequence[Chapter], duration: float) -> list[CHAP | CTOC]:
    """Return one ordered top-level CTOC and a CHAP (with a TIT2 title) per chapter.

    Past 255 chapters (a CTOC's limit), every n-th is kept, spread over the whole episode, so
    players can still jump through it; the JSON chapters keep them all.
    """
    timed = with_end_times(chapters, duration)
    if len(timed) > ID3_MAX_CHAPTERS:
        step = -(-len(timed) // ID3_MAX_CHAPTERS)
        timed = with_end_times(timed[::step], duration)
    frames: list[CHAP | CTOC] = [
        CTOC(
            element_id=TOC_ELEMENT_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[chapter_element_id(i) for i in range(len(timed))],
            sub_frames=[TIT2(encoding=UTF8, text=["Chapitres"])],
        )
    ]
    for index, chapter in enumerate(timed):
        assert chapter.end is not None
        frames.append(
            CHAP(
                element_id=chapter_element_id(index),
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=UTF8, text=[chapter.title])],
            )
        )
    return frames


def write_tags(
    path: str | os.PathLike[str],
    *,
    title: str,
    duration: float,
    speakers: Sequence[str] = (),
    series: str | None = None,
    date: datetime.date | None = None,
    comment: str | None = None,
    cover: bytes | None = None,
    cover_mime: str = "image/jpeg",
    chapters: Sequence[Chapter] = (),
    language: str = "fra",
) -> None:
    """Replace the file's ID3 tag with the episode's metadata, cover art and chapters."""
    tags = ID3()
    tags.add(TIT2(encoding=UTF8, text=[title]))
    if speakers:
        # One joined value: ID3v2.3 has no portable multi-value separator.
        tags.add(TPE1(encoding=UTF8, text=[", ".join(speakers)]))
    if series:
        tags.add(TALB(encoding=UTF8, text=[series]))
    if date:
        tags.add(TDRC(encoding=UTF8, text=[date.isoformat()]))
    if comment:
        tags.add(COMM(encoding=UTF8, lang=language, desc="", text=[comment]))
    if cover:
        tags.add(
            APIC(
                encoding=UTF8,
                mime=cover_mime,
                type=PictureType.COVER_FRONT,
                desc="Couverture",
                data=cover,
            )
        )
    tags.add(TLEN(encoding=UTF8, text=[str(round(duration * 1000))]))
    if chapters:
        for frame in build_chapter_frames(chapters, duration):
            tags.add(frame)
    tags.save(os.fspath(path), v2_version=ID3_VERSION)


def _text(tags: ID3, frame_id: str) -> str | None:
    frame = tags.get(frame_id)
    return str(frame.text[0]) if frame is not None and frame.text else None


def read_chapters(tags: ID3) -> list[Chapter]:
    """Return the chapters in table-of-contents order (start time order without a CTOC)."""
    chaps = {frame.element_id: frame for frame in tags.getall("CHAP")}
    tocs = [toc for toc in tags.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    if tocs:
        order = [chaps[eid] for eid in tocs[0].child_element_ids if eid in chaps]
    else:
        order = sorted(chaps.values(), key=lambda frame: frame.start_time)
    chapters = []
    for frame in order:
        title = frame.sub_frames.get("TIT2")
        chapters.append(
            Chapter(
                start=frame.start_time / 1000,
                end=frame.end_time / 1000,
                title=str(title.text[0]) if title is not None and title.text else "",
            )
        )
    return chapters


def read_tags(path: str | os.PathLike[str]) -> TagInfo:
    """Read the ID3 tag back (what podcast apps will show)."""
    try:
        tags = ID3(os.fspath(path))
    except ID3NoHeaderError:
        return TagInfo()
    comments = tags.getall("COMM")
    covers = tags.getall("APIC")
    date = tags.get("TDRC")
    return TagInfo(
        title=_text(tags, "TIT2"),
        artist=_text(tags, "TPE1"),
        album=_text(tags, "TALB"),
        date=str(date.text[0]) if date is not None and date.text else None,
        comment=str(comments[0].text[0]) if comments and comments[0].text else None,
        cover_mime=covers[0].mime if covers else None,
        cover_size=len(covers[0].data) if covers else 0,
        chapters=read_chapters(tags),
    )
