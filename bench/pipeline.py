"""Benchmark the media pipeline on a generated 10-minute 1280×720 webinar; print the figures.

    .venv/bin/python bench/pipeline.py [--minutes 10]

Reports, in one run:
- fast path (H.264/AAC source): upload end → playable replay, and → published audio edition,
  as a percentage of the duration (goal < 1 %);
- re-encode path (the same source forced through the 720p profile): wall time / duration (goal
  ≤ 0.25 on 2 cores) and the ratio to running the bare ffmpeg commands that make the same outputs
  (goal ≤ 1.15);
- the same outputs with PeerTube's default settings (30 fps, 2 s GOP, capped CRF 23, AAC copy,
  thumbnail=50 frames, full-decode storyboard), as a ratio to ours;
- the audio edition alone;
- peak RSS of the worker process and of its ffmpeg children.
The pipeline runs in this process exactly as in a worker (``pipeline.run_job``) on a throw-away
instance (SQLite, local disk). Wall-clock figures depend on the machine's load: the load
average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report  # noqa: E402

SPEECH = (
    "Bonjour à toutes et à tous, bienvenue dans ce webinaire consacré aux circuits courts. "
    "Nous parlerons de logistique partagée, de paniers de légumes et de marchés de producteurs."
)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_webinar(path: Path, seconds: int, work: Path) -> None:
    """Slides changing every 30 s, a moving 320×180 camera inset, looped French speech."""
    speech = work / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(speech), SPEECH], check=True)
    ffmpeg(
        "-f", "lavfi", "-i", f"smptehdbars=s=1280x720:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=30:d={seconds}",
        "-stream_loop", "-1", "-i", str(speech),
        "-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.01:d={seconds}",
        "-filter_complex",
        "[0:v]hue=H=floor(t/30)*1.1,drawgrid=w=160:h=90:t=2:c=white@0.5[slides];"
        "[slides][1:v]overlay=W-w-20:H-h-20[v];"
        "[2:a]aresample=48000,apad[sp];[sp][3:a]amix=inputs=2:duration=shortest[a]",
        "-map", "[v]", "-map", "[a]", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        "-g", "60", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart",
        str(path),
    )  # fmt: skip


def timed(cmds: list[list[str]]) -> float:
    started = time.monotonic()
    for cmd in cmds:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def redirect_output(cmd: list[str], scratch: Path) -> list[str]:
    """Point a recorded command's files in the job's work folder into the scratch folder.

    The audio edition's encode writes through the tee muxer into the file and a FIFO that the
    pipeline measures from at the same time; the bare equivalent writes the file alone (its
    measurement is a separate command, run after it).
    """
    out = []
    for arg in cmd:
        if "|[" in arg and "/media-job" in arg:  # "[f=mp3:…]file|[f=mp3:…]fifo"
            arg = arg.split("|[")[0].split("]", 1)[1]
            out = [
                "mp3" if a == "tee" and i and out[i - 1] == "-f" else a for i, a in enumerate(out)
            ]
        if "/media-job" in arg:
            arg = str(scratch / Path(arg).name.split(".part-")[-1])
        out.append(arg)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    seconds = int(args.minutes * 60)

    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    os.environ["FLASK_INSTANCE_PATH"] = str(work / "instance")
    from app import create_app
    from app.extensions import db
    from app.media import pipeline, profiles
    from app.media import probe as probe_module
    from app.media.audio import make_audio_edition
    from app.media.jobs import create_job
    from app.media.models import MediaAsset, ProcessingJob, RenditionKind
    from app.media.operations import store_file
    from app.media.storage import get_storage

    app = create_app(
        {
            "SECRET_KEY": "bench-secret",
            "TESTING": True,
            "CELERY": {"broker_url": "memory://"},
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
        }
    )
    source = work / "webinar-720p.mp4"
    print(f"generating a {seconds / 60:g}-minute 1280×720 webinar…", flush=True)
    started = time.monotonic()
    make_webinar(source, seconds, work)
    print(f"  done in {time.monotonic() - started:.0f} s, {source.stat().st_size / 1e6:.0f} MB")

    with app.app_context():
        db.create_all()

        attached: list[float] = []
        real_attach = pipeline._attach

        def timed_attach(job, outputs, *, final):
            real_attach(job, outputs, final=final)
            if not final:
                attached.append(time.monotonic())

        pipeline._attach = timed_attach

        def run_asset(title: str) -> ProcessingJob:
            attached.clear()
            with source.open("rb") as fh:
                original = store_file(fh, source.name, prefix="media/originals")
            asset = MediaAsset(
                title=title,
                original=original,
                chapters=[
                    {"start": 0, "title": "Accueil"},
                    {"start": seconds / 2, "title": "Questions"},
                ],
            )
            db.session.add(asset)
            job = create_job(asset, "process")
            db.session.commit()
            began = time.monotonic()
            pipeline.run_job(job.id, worker="bench")
            job = db.session.get(ProcessingJob, job.id)
            job.wall_s = time.monotonic() - began
            job.replay_s = (attached[0] - began) if attached else job.wall_s
            return job

        load = os.getloadavg()[0]
        # -- fast path
        fast = run_asset("Fast path")
        t = fast.timings
        replay_ready = fast.replay_s  # the replay's renditions committed, playable
        print(f"\nload average at start: {load:.2f} on {os.cpu_count()} CPUs")
        print("\n[fast path: H.264/AAC remux]")
        print(
            f"  replay playable after  {replay_ready:7.2f} s = "
            f"{100 * replay_ready / seconds:5.2f} % of the duration"
        )
        print(
            f"  everything published   {fast.wall_s:7.2f} s = "
            f"{100 * fast.wall_s / seconds:5.2f} % (incl. audio edition, images, waveform)"
        )
        print(f"  per step: {t}")
        report(
            "fast path: replay playable",
            100 * replay_ready / seconds,
            "% dur",
            note=f"{replay_ready:.2f} s for {seconds / 60:g} min; goal < 1 %",
        )
        report("fast path: everything published", 100 * fast.wall_s / seconds, "% dur",
               note=f"{fast.wall_s:.2f} s incl. audio edition; goal < 1 %")  # fmt: skip

        # -- re-encode path: same source, remux refused
        real_can_remux = pipeline.can_remux
        pipeline.can_remux = lambda result, criteria: False
        try:
            slow = run_asset("Re-encode")
        finally:
            pipeline.can_remux = real_can_remux
        asset = db.session.get(MediaAsset, slow.asset_id)
        web = asset.rendition(RenditionKind.WEB_VIDEO)
        storage = get_storage()
        scratch = work / "scratch"
        scratch.mkdir()
        bare = [redirect_output(cmd, scratch) for cmd in slow.commands]
        original_path = str(storage.path(asset.original.key))
        bare.append(
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-i",
                original_path,
                "-map",
                "0:a:0",
                "-af",
                "aformat=channel_layouts=mono,ebur128=peak=none",
                "-f",
                "null",
                "-",
            ]
        )
        audio_out = next(
            arg for cmd in bare if "libmp3lame" in cmd for arg in cmd if arg.endswith("audio.mp3")
        )
        bare.append(  # the pipeline measures the encoded edition (true peak) too
            ["ffmpeg", "-hide_banner", "-nostdin", "-i", audio_out, "-af",
             "aformat=channel_layouts=mono,ebur128=peak=true", "-f", "null", "-"]
        )  # fmt: skip
        bare.append(
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-i",
                original_path,
                "-map",
                "0:a:0",
                "-ac",
                "1",
                "-ar",
                "8000",
                "-f",
                "s16le",
                "-y",
                str(scratch / "pcm.raw"),
            ]
        )
        bare_s = timed(bare)
        print("\n[re-encode path: 720p H.264 profile]")
        print(
            f"  pipeline wall time     {slow.wall_s:7.1f} s = "
            f"{slow.wall_s / seconds:.3f} × duration (goal ≤ 0.25 on 2 cores)"
        )
        print(
            f"  bare ffmpeg, same outputs {bare_s:6.1f} s → "
            f"ratio {slow.wall_s / bare_s:.3f} (goal ≤ 1.15)"
        )
        report(
            "re-encode: wall / duration",
            slow.wall_s / seconds,
            "×",
            note=f"{slow.wall_s:.1f} s on {os.cpu_count()} CPUs; goal ≤ 0.25",
        )
        report(
            "re-encode: pipeline wall",
            slow.wall_s,
            "s",
            baseline=bare_s,
            note="baseline: the bare ffmpeg commands one after the other; goal ≤ 1.15",
        )
        print(
            f"  web video: {web.width}×{web.height}, {web.file.size / 1e6:.1f} MB, "
            f"{(web.bitrate or 0) / 1000:.0f} kbit/s; per step: {slow.timings}"
        )

        # -- PeerTube's defaults for the same outputs (web video + thumbnail + storyboard + audio)
        video = probe_module.probe(original_path).video
        target = int(1280 * 720 * 30 * 0.11)
        pt_cmds = [
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-y",
                "-i",
                original_path,
                "-f",
                "mp4",
                "-movflags",
                "faststart",
                "-max_muxing_queue_size",
                "1024",
                "-map_metadata",
                "-1",
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                "libx264",
                "-vf",
                "scale=w=-2:h=720",
                "-preset",
                "veryfast",
                "-maxrate:v",
                str(target),
                "-bufsize:v",
                str(2 * target),
                "-b_strategy",
                "1",
                "-bf",
                "16",
                "-r",
                "30",
                "-g:v",
                "60",
                "-c:a",
                "copy",
                str(scratch / "peertube-720p.mp4"),
            ],
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-y",
                "-ss",
                str(seconds / 2),
                "-i",
                original_path,
                "-vf",
                "thumbnail=50",
                "-frames:v",
                "1",
                str(scratch / "peertube-thumb.jpg"),
            ],
            [
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-y",
                "-i",
                original_path,
                "-filter_complex",
                f"setpts=N/round(FRAME_RATE)/TB,select='not(mod(t,{max(2, seconds // 100)}))',"
                "scale=160:90,tile=layout=10x10",
                "-frames:v",
                "1",
                "-q:v",
                "2",
                str(scratch / "peertube-storyboard.jpg"),
            ],
        ]
        pt_s = timed(pt_cmds)
        ours_video = slow.timings.get("web_video", 0) + slow.timings.get("images", 0)
        pt_size = (scratch / "peertube-720p.mp4").stat().st_size
        print("\n[PeerTube default settings, same video outputs]")
        print(
            f"  PeerTube web video + thumbnail + storyboard {pt_s:6.1f} s "
            f"vs ours {ours_video:6.1f} s"
            f" → PeerTube / ours = {pt_s / ours_video:.2f}"
        )
        report(
            "PeerTube defaults: video+images",
            pt_s,
            "s",
            baseline=ours_video,
            note="ratio = PeerTube / ours (same outputs)",
        )
        print(
            f"  PeerTube web video {pt_size / 1e6:.1f} MB vs ours {web.file.size / 1e6:.1f} MB"
            f" (video {video.width}×{video.height} source)"
        )

        # -- audio edition alone
        began = time.monotonic()
        result = make_audio_edition(
            original_path, scratch / "audio.mp3", profiles.PODCAST_MONO, duration=seconds
        )
        audio_s = time.monotonic() - began
        print("\n[audio edition alone]")
        print(
            f"  {audio_s:.1f} s = {100 * audio_s / seconds:.2f} % of the duration, "
            f"{result.integrated_lufs} LUFS, true peak {result.true_peak_dbtp} dBTP, "
            f"{result.attempts} encode(s)"
        )
        report(
            "audio edition alone",
            100 * audio_s / seconds,
            "% dur",
            note=f"{audio_s:.1f} s, {result.attempts} encode(s)",
        )

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("\n[memory]")
    print(
        f"  worker process peak RSS {own:.0f} MB; largest ffmpeg child peak RSS {children:.0f} MB"
    )
    report("worker peak RSS", own, "MB", note=f"largest ffmpeg child {children:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
