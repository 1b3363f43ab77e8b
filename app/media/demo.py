"""Demo media: a short generated webinar sent through the real pipeline (idempotent)."""

import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.media.jobs import enqueue_processing
from app.media.models import MediaAsset
from app.media.operations import store_file

TITLE = "Démo : atelier logistique partagée (enregistrement brut)"
SPEECH = (
    "Bonjour à toutes et à tous. Aujourd'hui, nous parlons de logistique partagée entre fermes : "
    "tournées communes, points de dépôt et partage des frais de transport."
)
CHAPTERS = [
    {"start": 0, "title": "Accueil"},
    {"start": 8, "title": "Tournées communes"},
    {"start": 16, "title": "Questions"},
]


def load(ctx) -> None:
    """Upload one webinar as the demo animator and queue its processing."""
    animator = ctx.users.get("animator")
    if not ctx.with_media or animator is None:
        return
    if db.session.scalar(sa.select(MediaAsset.id).where(MediaAsset.title == TITLE)):
        return
    ffmpeg = current_app.config.get("FFMPEG_BINARY", "ffmpeg")
    espeak = current_app.config.get("ESPEAK_BINARY", "espeak-ng")
    with tempfile.TemporaryDirectory(prefix="demo-media-") as work:
        speech = Path(work) / "speech.wav"
        video = Path(work) / "atelier-logistique.mp4"
        subprocess.run([espeak, "-v", "fr", "-w", str(speech), SPEECH], check=True)
        subprocess.run(
            [
                ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
                "-f", "lavfi", "-i", "smptehdbars=s=1280x720:r=25:d=24",
                "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=24",
                "-stream_loop", "-1", "-i", str(speech),
                "-filter_complex", "[0:v][1:v]overlay=W-w-20:H-h-20[v];[2:a]apad[a]",
                "-map", "[v]", "-map", "[a]", "-t", "24",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50",
                "-c:a", "aac", "-b:a", "96k", str(video),
            ],
            check=True,
        )  # fmt: skip
        with video.open("rb") as fh:
            original = store_file(fh, video.name, prefix="media/originals")
    asset = MediaAsset(title=TITLE, owner_id=animator.id, original=original, chapters=CHAPTERS)
    db.session.add(asset)
    job = enqueue_processing(asset)
    ctx.log(f"  media: demo webinar uploaded, processing job {job.id} queued")
