"""Benchmark a guide's audio edition: first build and one-section regeneration.

    .venv/bin/python bench/tts.py [--words 5000] [--speed 160]

Generates a French guide of about N words (sections with lists, numbers, dates and the field's
abbreviations), publishes it in a throw-away app (SQLite and storage in a temporary folder, or
BENCH_DATABASE_URL), and runs the real job (espeak-ng, ffmpeg) twice: once from an empty section
cache, then after a new revision that edits one section. Prints:
- the first build's wall time as a fraction of the audio's duration, and its steps;
- the one-section regeneration's wall time against the first build (ratio);
- the peak memory of the worker process and of its largest child (espeak-ng, ffmpeg), which stay
  flat whatever the guide's length since audio is streamed between files.
"""

from __future__ import annotations

import argparse
import os
import random
import resource as rlimit
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.core.db import utcnow  # noqa: E402
from app.core.signals import revision_published  # noqa: E402
from app.extensions import db  # noqa: E402
from app.library.models import (  # noqa: E402
    Resource,
    ResourceKind,
    ResourceStatus,
    Revision,
    RevisionState,
)
from app.tts import operations, pipeline  # noqa: E402
from bench.common import report  # noqa: E402

SUBJECTS = ["Le groupement", "La ferme", "L'AMAP", "La SCIC", "Le GIE", "Le magasin de producteurs",
            "La collectivité", "Le drive fermier", "L'épicerie solidaire", "La coopérative"]
VERBS = ["prévoit", "organise", "vérifie", "livre", "facture", "présente", "négocie", "prépare"]
OBJECTS = ["les paniers de légumes", "la tournée du jeudi", "les prix TTC", "la chambre froide",
           "le contrat EGalim", "les commandes en ligne", "la tarification sociale",
           "le planning des permanences", "les étiquettes de traçabilité", "la caisse commune"]
DETAILS = ["avant le 15/03/2026", "pour 2,50 €/kg", "à 10h30 chaque samedi", "sur 12 km",
           "avec 3 bénévoles", "dès la 2e semaine", "pour 1 250 € par an", "selon la DLC"]


def make_guide(words: int, seed: int = 7) -> str:
    """Return a French guide in Markdown of about ``words`` words, in sections of ~250 words."""
    rng = random.Random(seed)
    blocks = ["# Guide de la vente en circuit court", ""]
    count, section = 0, 0
    while count < words:
        section += 1
        blocks += [f"## Étape {section} : {rng.choice(OBJECTS)}", ""]
        in_section = 0
        while in_section < 250 and count + in_section < words:
            sentences = [
                f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                f"{rng.choice(DETAILS)}."
                for _ in range(rng.randint(3, 5))
            ]
            if rng.random() < 0.25:
                paragraph = "\n".join(f"- {s}" for s in sentences)
            else:
                paragraph = " ".join(sentences)
            blocks += [paragraph, ""]
            in_section += len(paragraph.split())
        count += in_section
    return "\n".join(blocks)


def publish(resource: Resource, body: str) -> Revision:
    """Publish a new revision the way the library does (signal included)."""
    revision = Revision(resource=resource, number=len(resource.revisions) + 1,
                        title=resource.title, body=body, state=RevisionState.PUBLISHED)
    db.session.add(revision)
    db.session.flush()
    resource.published_revision = revision
    revision_published.send(resource, revision=revision)
    db.session.commit()
    return revision


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (espeak-ng, ffmpeg)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run(resource_id: int) -> tuple[float, float, dict]:
    """Run the job the publication queued; return wall time, CPU time and the edition's figures."""
    edition = operations.get_edition(resource_id)
    job_id = edition.last_job_id
    start, cpu_start = time.perf_counter(), cpu_seconds()
    outcome = pipeline.run_job(job_id)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    if outcome != "succeeded":
        raise SystemExit(f"job {job_id}: {outcome}")
    db.session.expire_all()
    edition = operations.get_edition(resource_id)
    return elapsed, cpu, {"duration_s": edition.duration_s, "timings": edition.last_job.timings,
                     **edition.build_info}


def regenerate(resource_id: int, body: str, first_s: float, first_cpu: float, sections: int):
    """Edit one sentence of the middle section, publish it, and time the new build."""
    marker = f"## Étape {sections // 2} :"
    head, tail = body.split(marker, 1)
    edited = head + marker + tail.replace(".", ", et le note au registre.", 1)
    publish(db.session.get(Resource, resource_id), edited)
    again_s, again_cpu, again = run(resource_id)
    note = (f"{len(again['synthesized'])} section synthesised, {again['reused']} reused from "
            f"the cache; normalising and encoding the whole episode is redone")
    report("one-section regeneration wall time / first build", again_s, "s",
           baseline=first_s, note=note)
    report("one-section regeneration CPU time / first build", again_cpu, "CPU s",
           baseline=first_cpu, note=note)
    for step, seconds in again["timings"].items():
        report(f"regeneration: {step}", seconds, "s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--speed", type=int, default=160, help="espeak-ng words per minute")
    parser.add_argument("--first-only", action="store_true",
                        help="skip the regeneration (e.g. --words 100000 for the memory figure)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-tts-"))
    os.environ.setdefault("FLASK_INSTANCE_PATH", str(folder / "instance"))
    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SERVER_NAME": "localhost",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{folder / 'bench.db'}",
        "STORAGE": {"backend": "local", "root": str(folder / "media")},
        "CELERY": {"broker_url": "memory://"},
        "TTS_ENGINE": "espeak", "TTS_SPEED": args.speed,
    })
    body = make_guide(args.words)
    with app.app_context():
        db.drop_all()
        db.create_all()
        guide = Resource(slug="guide-banc-d-essai", title="Guide de la vente en circuit court",
                         kind=ResourceKind.GUIDE, status=ResourceStatus.PUBLISHED,
                         published_dt=utcnow())
        db.session.add(guide)
        db.session.flush()
        publish(guide, body)
        first_s, first_cpu, first = run(guide.id)
        words = len(body.split())
        report("first build wall time / audio duration", first_s / first["duration_s"], "×",
               note=f"{words} words, {first['sections']} sections, audio "
                    f"{first['duration_s'] / 60:.1f} min, built in {first_s:.1f} s "
                    f"({first['workers']} synthesis threads, {os.cpu_count()} CPUs, load "
                    f"{os.getloadavg()[0]:.1f})")
        report("first build CPU time / audio duration", first_cpu / first["duration_s"], "×",
               note=f"{first_cpu:.1f} CPU s, espeak-ng and ffmpeg included")
        for step, seconds in first["timings"].items():
            report(f"first build: {step}", seconds, "s")
        report("audio loudness", first["integrated_lufs"], "LUFS",
               note=f"true peak {first['true_peak_dbtp']} dBTP, "
                    f"{first['encode_attempts']} encode(s)")

        if not args.first_only:
            regenerate(guide.id, body, first_s, first_cpu, first["sections"])
    report("peak memory, worker process", rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024,
           "MB")
    report("peak memory, largest child (espeak-ng/ffmpeg)",
           rlimit.getrusage(rlimit.RUSAGE_CHILDREN).ru_maxrss / 1024, "MB")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
