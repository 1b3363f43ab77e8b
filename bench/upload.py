"""Upload big files through the tus endpoint with tuspy and report the server's peak memory.

    .venv/bin/python bench/upload.py            # 0.5 GB then 2 GB
    .venv/bin/python bench/upload.py --sizes 4  # sizes in GB

The server is a separate process (werkzeug, threaded) on a throw-away instance (SQLite, local
disk); its peak RSS (VmHWM) is read from /proc after each upload. Goal: < 100 MB, flat in the
file size. The file is generated on disk first (a repeated random block, so it is fast).
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report  # noqa: E402

GB = 1000**3
MiB = 1024 * 1024

SERVER = """
import sys
from werkzeug.serving import make_server
from app import create_app
app = create_app({"MEDIA": {"upload_max_size": 64 * 1024**3}})
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def make_file(path: Path, size: int) -> None:
    block = os.urandom(8 * MiB)
    with path.open("wb") as fh:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            fh.write(piece)
            written += len(piece)


class KeepOpen(io.BufferedReader):
    """tuspy closes the stream after fingerprinting; keep reading it anyway."""

    def close(self):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 2.0], help="GB")
    parser.add_argument("--chunk-mb", type=int, default=50)
    args = parser.parse_args()

    from tusclient import client as tus_client

    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    env = dict(os.environ)
    env.update(
        {
            "FLASK_INSTANCE_PATH": str(work / "instance"),
            "FLASK_SECRET_KEY": "bench-upload-secret",
            "FLASK_CELERY__broker_url": "memory://",
        }
    )
    # Schema and an animator's API token, made with the app itself.
    setup = subprocess.run(
        [sys.executable, "-c", (
            "from app import create_app\n"
            "from app.extensions import db\n"
            "from app.auth import operations\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    db.create_all()\n"
            "    u = operations.create_user('bench@example.org', 'un-mot-de-passe-solide',"
            " role='animator', confirmed=True)\n"
            "    print(operations.create_api_token(u, 'bench'))\n"
            "    db.session.commit()\n"
        )],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = setup.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        start_rss = rss_mb(server.pid)
        print(f"server pid {server.pid}, RSS at start {start_rss:.1f} MB")
        print(f"{'size':>8} {'chunk':>7} {'seconds':>8} {'MB/s':>7} {'peak RSS (VmHWM)':>17}")
        for size_gb in args.sizes:
            size = int(size_gb * GB)
            path = work / f"upload-{size_gb:g}GB.mp4"
            make_file(path, size)
            tus = tus_client.TusClient(
                f"http://127.0.0.1:{port}/api/uploads/",
                headers={"Authorization": f"Bearer {token}"},
            )
            started = time.monotonic()
            with KeepOpen(io.FileIO(str(path), "rb")) as stream:
                uploader = tus.uploader(
                    file_stream=stream,
                    chunk_size=args.chunk_mb * MiB,
                    metadata={"filename": path.name, "filetype": "video/mp4"},
                )
                uploader.upload()
                io.BufferedReader.close(stream)
            elapsed = time.monotonic() - started
            peak = peak_rss_mb(server.pid)
            print(
                f"{size_gb:>6g}GB {args.chunk_mb:>5}MB {elapsed:>8.1f} "
                f"{size / 1e6 / elapsed:>7.0f} "
                f"{peak:>14.1f} MB"
            )
            report(
                f"upload {size_gb:g} GB: server peak RSS",
                peak,
                "MB",
                baseline=start_rss,
                note="baseline: the server's RSS before any upload; goal < 100 MB, flat",
            )
            report(
                f"upload {size_gb:g} GB: throughput",
                size / 1e6 / elapsed,
                "MB/s",
                note=f"tuspy, {args.chunk_mb} MB chunks, loopback",
            )
            path.unlink()
    finally:
        server.terminate()
        server.wait(timeout=10)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
