"""Demo: the "Tarification sociale" webinar series (three workshops with testimonies) and a
partner's training. Idempotent: courses and people are looked up by slug before creating them."""

import io
import json
import subprocess
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.courses import operations
from app.courses.models import ConsentState, MaterialKind, SessionMode, SpeakerRole
from app.extensions import db
from app.library.models import Theme
from app.media.chapters import Chapter, build_chapters_json
from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
from app.media.operations import store_file
from app.network.models import Organisation, Person

COURSE_SLUG = "tarification-sociale"
EXTERNAL_SLUG = "vendre-en-circuit-court-les-bases"
PARIS = ZoneInfo("Europe/Paris")

PEOPLE = {
    "lea-animatrice": ("Léa Moreau", "Animatrice du réseau Open Food France"),
    "amina-benali": ("Amina Benali", "Coordinatrice d'une épicerie solidaire à Roubaix"),
    "jean-marc-roux": ("Jean-Marc Roux", "Maraîcher, membre d'un magasin de producteurs (Drôme)"),
    "sophie-kerouac": ("Sophie Kerouac", "Animatrice d'un groupement d'achat en Bretagne"),
}

SESSIONS = (
    {
        "title": "Les formes de tarification sociale",
        "description": "Prix différenciés, paniers suspendus, prix libre et conscient, "
        "cotisations modulées : panorama des formes qui existent et de ce qu'elles demandent.",
        "days": -21,
        "witness": ("amina-benali", "Le panier solidaire de l'épicerie de Roubaix"),
        "outline": [
            [0, "Accueil et tour de table"],
            [8, "Panorama des formes"],
            [16, "Témoignage : le panier solidaire"],
            [24, "Questions"],
        ],
    },
    {
        "title": "Le modèle économique",
        "description": "Qui paie la différence ? Péréquation entre clients, subventions, "
        "marges : construire un modèle qui tient dans la durée.",
        "days": -7,
        "witness": ("jean-marc-roux", "Trois prix pour un même panier au magasin de producteurs"),
        "outline": [
            [0, "Introduction"],
            [10, "La péréquation en pratique"],
            [20, "Témoignage : trois prix pour un panier"],
        ],
    },
    {
        "title": "En parler à sa communauté",
        "description": "Présenter la tarification sociale sans stigmatiser : mots, supports, "
        "moments, et comment recueillir les retours des adhérent·es.",
        "days": 14,
        "witness": ("sophie-kerouac", "Annoncer le prix libre au groupement d'achat"),
        "outline": [],
    },
)


def load(ctx) -> None:
    if operations.get_course_by_slug(COURSE_SLUG) is None:
        _load_series(ctx)
    if operations.get_course_by_slug(EXTERNAL_SLUG) is None:
        _load_external(ctx)


def _person(slug: str) -> Person:
    person = db.session.scalar(sa.select(Person).where(Person.slug == slug))
    if person is None:
        name, headline = PEOPLE[slug]
        person = Person(
            slug=slug, name=name, headline=headline, visibility="public", consent_dt=utcnow()
        )
        db.session.add(person)
        db.session.flush()
    return person


def _organisation() -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "open-food-france"))
    if org is None:
        org = Organisation(
            slug="open-food-france",
            name="Open Food France",
            kind="reseau",
            summary="Le réseau qui outille les circuits courts.",
            website="https://openfoodfrance.org",
        )
        db.session.add(org)
        db.session.flush()
    return org


def _theme(slug: str, name: str) -> Theme:
    theme = db.session.scalar(sa.select(Theme).where(Theme.slug == slug))
    if theme is None:
        theme = Theme(slug=slug, name=name)
        db.session.add(theme)
        db.session.flush()
    return theme


def _at_ten(days: int) -> datetime:
    day = (utcnow().astimezone(PARIS) + timedelta(days=days)).date()
    return datetime.combine(day, time(10, 0), tzinfo=PARIS)


def _load_series(ctx) -> None:
    host = _person("lea-animatrice")
    course = operations.create_course(
        title="Tarification sociale",
        created_by=ctx.users.get("animator"),
        theme_ids=[_theme("tarification-sociale", "Tarification sociale").id],
        summary="Trois ateliers pour rendre vos produits accessibles à toutes et tous sans "
        "mettre en danger votre modèle économique, avec des témoignages de terrain.",
        description=(
            "Un cycle de trois webinaires d'une heure et demie, en direct puis en replay.\n\n"
            "1. **Les formes de tarification sociale** : ce qui existe, ce que ça demande ;\n"
            "2. **Le modèle économique** : qui paie la différence, et comment ;\n"
            "3. **En parler à sa communauté** : les mots et les supports qui marchent.\n\n"
            "Chaque séance donne la parole à une personne qui l'a fait."
        ),
        audiences=["porteur-projet", "epicerie-hub", "producteur"],
        level="discovery",
        capacity=40,
        organiser_organisation_id=_organisation().id,
        organiser_person_id=host.id,
    )
    course.slug = COURSE_SLUG
    for spec in SESSIONS:
        start = _at_ten(spec["days"])
        session = operations.add_session(
            course,
            title=spec["title"],
            description=spec["description"],
            start_dt=start,
            end_dt=start + timedelta(minutes=90),
            timezone="Europe/Paris",
            mode=SessionMode.ONLINE,
            live_url="https://visio.openfoodfrance.example/b/tarification-sociale",
            outline=spec["outline"],
        )
        operations.add_speaker(session, host, SpeakerRole.HOST)
        slug, talk = spec["witness"]
        operations.add_speaker(session, _person(slug), SpeakerRole.TESTIMONY, talk)
        if spec["days"] < 0:
            for speaker in session.speakers:
                operations.set_speaker_consent(speaker, ConsentState.GRANTED, None)
            if ctx.with_media:
                operations.attach_replay(
                    session, build_demo_replay(session.title, session.chapters)
                )
                operations.publish_replay(session)
    operations.add_material(
        course,
        MaterialKind.LINK,
        title="Guide « Tarification sociale en épicerie » (ANDES)",
        url="https://andes-france.com/",
    )
    operations.add_material(
        course,
        MaterialKind.DIRECTORY,
        organisation_id=_organisation().id,
        title="Open Food France – le réseau",
    )
    operations.publish_course(course)
    learner = ctx.users.get("learner")
    if learner is not None:
        operations.register(course, learner)
    ctx.log(f"  course {course.slug}: 3 sessions" + (", 2 replays" if ctx.with_media else ""))


def _load_external(ctx) -> None:
    course = operations.create_course(
        title="Vendre en circuit court : les bases",
        created_by=ctx.users.get("animator"),
        theme_ids=[_theme("outils-numeriques-de-vente", "Outils numériques de vente").id],
        summary="Deux jours pour structurer une offre en vente directe : prix, logistique, "
        "outils de commande en ligne.",
        is_external=True,
        provider="Réseau Civam",
        external_url="https://www.civam.org/",
        level="discovery",
    )
    course.slug = EXTERNAL_SLUG
    start = _at_ten(30)
    operations.add_session(
        course,
        title="Journée 1",
        start_dt=start,
        end_dt=start + timedelta(hours=7),
        mode=SessionMode.IN_PERSON,
        place="Valence (Drôme)",
    )
    operations.publish_course(course)
    ctx.log(f"  course {course.slug} (partner)")


def build_demo_replay(title: str, chapters, seconds: int = 30) -> MediaAsset:
    """Generate a small real replay with ffmpeg (video, audio edition, chapters, transcript)."""
    ffmpeg = current_app.config.get("FFMPEG_BINARY", "ffmpeg")
    with tempfile.TemporaryDirectory() as tmp:
        video, audio = Path(tmp) / "replay.mp4", Path(tmp) / "audio.mp3"
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size=640x360:rate=25:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-g",
                "25",
                "-c:a",
                "aac",
                "-b:a",
                "64k",
                "-movflags",
                "+faststart",
                "-shortest",
                str(video),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-i",
                str(video),
                "-vn",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "64k",
                str(audio),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        asset = MediaAsset(
            title=title,
            kind=AssetKind.VIDEO,
            status=AssetStatus.READY,
            duration_s=float(seconds),
            ready_dt=utcnow(),
            chapters=[{"start": s, "title": t} for s, t in chapters],
        )
        db.session.add(asset)
        with video.open("rb") as fh:
            video_file = store_file(
                fh, "replay.mp4", prefix="courses/demo", content_type="video/mp4"
            )
        with audio.open("rb") as fh:
            audio_file = store_file(
                fh, "audio.mp3", prefix="courses/demo", content_type="audio/mpeg"
            )
    vtt = "WEBVTT\n\n" + "".join(
        f"00:00:{s:02d}.000 --> 00:00:{min(s + 5, seconds):02d}.000\n{t}\n\n"
        for s, t in [
            (0, "Bonjour et bienvenue dans cet atelier."),
            (10, "Voici les principales formes de tarification sociale."),
        ]
    )
    transcript = store_file(
        io.BytesIO(vtt.encode()), "transcript.vtt", prefix="courses/demo", content_type="text/vtt"
    )
    chapters_doc = json.dumps(
        build_chapters_json([Chapter(start=float(s), title=t) for s, t in chapters])
    ).encode()
    chapters_file = store_file(
        io.BytesIO(chapters_doc),
        "chapters.json",
        prefix="courses/demo",
        content_type="application/json+chapters",
    )
    for kind, stored in (
        (RenditionKind.WEB_VIDEO, video_file),
        (RenditionKind.AUDIO_EDITION, audio_file),
        (RenditionKind.TRANSCRIPT_VTT, transcript),
        (RenditionKind.CHAPTERS, chapters_file),
    ):
        asset.renditions.append(Rendition(kind=kind, file=stored, duration_s=float(seconds)))
    db.session.flush()
    return asset
