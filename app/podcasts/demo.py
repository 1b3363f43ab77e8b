"""Demo podcasts: "Paroles de circuits courts" with a generated interview, and a course feed."""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.extensions import db
from app.media.chapters import Chapter
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.media.probe import probe
from app.media.tagging import write_tags
from app.podcasts import operations
from app.podcasts.models import Episode
from feeds.transcripts import build_srt, build_webvtt

SHOW_SLUG = "paroles-de-circuits-courts"
COURSE_SLUG = "tarification-sociale"

#: (voice, speaker, text): a short interview read by two espeak-ng voices.
INTERVIEW = (
    (
        "fr+f3",
        "Camille",
        "Bonjour et bienvenue dans Paroles de circuits courts. Aujourd'hui, "
        "nous rencontrons Léa, maraîchère dans la Drôme.",
    ),
    (
        "fr+m3",
        "Léa",
        "Bonjour Camille. Je cultive deux hectares de légumes et je vends tout en "
        "circuit court : au marché, en AMAP et à l'épicerie du village.",
    ),
    ("fr+f3", "Camille", "Qu'est-ce qui a changé depuis que vous travaillez avec l'épicerie ?"),
    (
        "fr+m3",
        "Léa",
        "Je connais mes volumes à l'avance. Nous fixons les prix ensemble, une fois "
        "par saison, et je suis payée sous huit jours.",
    ),
    (
        "fr+f3",
        "Camille",
        "Merci Léa. Retrouvez la boîte à outils des circuits courts sur le site "
        "d'Open Food France.",
    ),
)


def load(ctx) -> None:
    """Create the demo shows and, with media, the interview episode (idempotent)."""
    animator = ctx.users.get("animator")
    show = operations.get_or_create_show(
        SHOW_SLUG,
        title="Paroles de circuits courts",
        description="Portraits et témoignages de celles et ceux qui font vivre les circuits "
        "courts : producteurs, épiceries, AMAP, collectivités.",
        author="Open Food France",
        apple_category="Arts",
        apple_subcategory="Food",
        persons=[{"name": "Camille Martin", "role": "host"}],
        created_by_id=animator.id if animator else None,
    )
    ctx.log(f"podcasts: show {show.slug}")
    _load_course_show(ctx)
    if not ctx.with_media:
        return
    existing = db.session.scalar(
        sa.select(Episode).where(
            Episode.show_id == show.id, Episode.source_kind == "demo", Episode.source_id == 1
        )
    )
    if existing is not None and existing.audio is not None:
        return
    asset = build_interview_asset()
    operations.publish_episode(
        show,
        title="Léa, maraîchère dans la Drôme",
        description="Comment une maraîchère et une épicerie de village fixent leurs prix "
        "ensemble, une fois par saison.",
        asset=asset,
        pub_dt=utcnow() - timedelta(minutes=5),
        number=1,
        persons=[{"name": "Camille Martin", "role": "host"}, {"name": "Léa", "role": "guest"}],
        source=("demo", 1),
    )
    ctx.log("podcasts: interview episode generated")


def _load_course_show(ctx) -> None:
    if "courses.catalogue" not in current_app.view_functions:  # the courses feature is absent
        return
    try:
        from app.courses.models import Course
    except ImportError:
        return
    course = db.session.scalar(sa.select(Course).where(Course.slug == COURSE_SLUG))
    if course is None:
        return
    show = operations.get_or_create_course_show(
        course.id, course.slug, course.title, getattr(course, "summary", "") or ""
    )
    # One episode per published session replay, numbered in course order (a serial feed).
    for session in sorted(course.sessions, key=lambda s: s.position):
        if session.replay_asset is None or session.replay_published_dt is None:
            continue
        operations.publish_episode(
            show,
            title=session.title,
            description=session.description,
            asset=session.replay_asset,
            pub_dt=session.replay_published_dt,
            number=session.position,
            season=1,
            source=("session", session.id),
        )
    ctx.log(f"podcasts: course show {show.slug}")


def build_interview_asset() -> MediaAsset:
    """Synthesise the interview (espeak-ng), encode a tagged chaptered MP3, store it as ready."""
    espeak = current_app.config.get("ESPEAK_BINARY", "espeak-ng")
    ffmpeg = current_app.config.get("FFMPEG_BINARY", "ffmpeg")
    with tempfile.TemporaryDirectory(prefix="podcast-demo-") as folder:
        folder = Path(folder)
        parts, cues, chapters, position = [], [], [], 0.0
        for index, (voice, speaker, text) in enumerate(INTERVIEW):
            wav = folder / f"{index}.wav"
            subprocess.run(
                [espeak, "-v", voice, "-s", "165", "-w", str(wav), text],
                check=True,
                capture_output=True,
            )
            duration = probe(wav).duration or 0.0
            cues.append((position, position + duration, f"{speaker} : {text}"))
            if index in (0, 1, 4):
                chapters.append(
                    Chapter(
                        round(position, 3),
                        ("Introduction", "Le témoignage de Léa", "Conclusion")[
                            (0, 1, 4).index(index)
                        ],
                    )
                )
            parts.append(wav)
            position += duration + 0.4
        listing = folder / "list.txt"
        silence = folder / "silence.wav"
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=22050:cl=mono",
                "-t",
                "0.4",
                str(silence),
            ],
            check=True,
        )
        listing.write_text("".join(f"file '{p}'\nfile '{silence}'\n" for p in parts))
        mp3 = folder / "interview.mp3"
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-ac",
                "1",
                "-ar",
                "44100",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "96k",
                str(mp3),
            ],
            check=True,
        )
        facts = probe(mp3)
        write_tags(
            mp3,
            title="Léa, maraîchère dans la Drôme",
            duration=facts.duration,
            speakers=["Camille Martin", "Léa"],
            series="Paroles de circuits courts",
            chapters=chapters,
        )
        facts = probe(mp3)
        with open(mp3, "rb") as fh:
            stored = store_file(
                fh, "lea-maraichere.mp3", prefix="podcasts/demo", content_type="audio/mpeg"
            )
    asset = MediaAsset(
        title="Entretien avec Léa (démo)",
        kind=AssetKind.AUDIO,
        status=AssetStatus.READY,
        original=stored,
        duration_s=facts.duration,
        chapters=[{"start": c.start, "title": c.title} for c in chapters],
        ready_dt=utcnow(),
    )
    asset.renditions.append(
        Rendition(
            kind=RenditionKind.AUDIO_EDITION, file=stored, duration_s=facts.duration, bitrate=96_000
        )
    )
    for kind, text, name, mime in (
        (RenditionKind.TRANSCRIPT_VTT, build_webvtt(cues), "lea.vtt", "text/vtt"),
        (RenditionKind.TRANSCRIPT_SRT, build_srt(cues), "lea.srt", "application/x-subrip"),
    ):
        transcript = store_file(
            io.BytesIO(text.encode()), name, prefix="podcasts/demo", content_type=mime
        )
        asset.renditions.append(Rendition(kind=kind, file=transcript))
    db.session.add(asset)
    db.session.flush()
    return asset
