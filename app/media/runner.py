"""The one place that runs ffmpeg: progress, log tail, timeout, atomic output."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from app.media import N_, SentenceError

#: Called with (fraction done in [0, 1], estimated seconds left or None).
ProgressCallback = Callable[[float, float | None], None]

#: stderr fragments meaning the input itself is bad: retrying the job cannot help.
INPUT_ERROR_MARKERS = (
    "Invalid data found when processing input",
    "moov atom not found",
    "does not contain any stream",
    "matches no streams",
)

_BASE_ARGS = ["-hide_banner", "-nostdin"]


class FFmpegError(SentenceError):
    """ffmpeg failed; ``log_tail`` holds the last lines it wrote to stderr."""

    def __init__(self, message: str, cmd: Sequence[str], log_tail: Sequence[str], **params: Any):
        super().__init__(message, **params)
        self.cmd = list(cmd)
        self.log_tail = list(log_tail)

    @property
    def message(self):
        """What failed, as a Message (its str value is the French text)."""
        return self.sentence

    @property
    def is_input_error(self) -> bool:
        """Return True when the failure comes from the input file, so a retry is pointless."""
        return any(marker in line for line in self.log_tail for marker in INPUT_ERROR_MARKERS)


class FFmpegTimeout(FFmpegError):
    """ffmpeg ran longer than its time limit and was killed."""


@dataclass(frozen=True)
class RunResult:
    """A successful ffmpeg run: the exact command and the end of its log."""

    cmd: list[str]
    log_tail: list[str]
    elapsed_s: float


def _as_args(spec: Any) -> list[str]:
    """Accept an ffmpeg-python stream spec or a ready list of arguments."""
    if hasattr(spec, "get_args"):
        return list(spec.get_args())
    return [str(arg) for arg in spec]


def temporary_name(final_path: str | os.PathLike[str]) -> str:
    """Return a hidden sibling path of ``final_path`` keeping its extension (ffmpeg reads it)."""
    final = os.fspath(final_path)
    directory, name = os.path.split(final)
    return os.path.join(directory, f".{uuid.uuid4().hex[:12]}.part-{name}")


def _drain(pipe: IO[bytes], tail: deque[str]) -> None:
    for raw in pipe:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)


def _remove_quietly(path: str | None) -> None:
    if path and os.path.exists(path):
        os.unlink(path)


class _Progress:
    """Turn ``-progress`` key=value lines into rate-limited callback calls."""

    def __init__(self, duration: float | None, callback: ProgressCallback | None, interval: float):
        self.duration = duration if duration and duration > 0 else None
        self.callback = callback
        self.interval = interval
        self.started = time.monotonic()
        self.last_call = float("-inf")

    def feed(self, line: str) -> None:
        key, _, value = line.partition("=")
        # out_time_ms is in microseconds too (an old ffmpeg naming bug kept for compatibility).
        if key not in ("out_time_us", "out_time_ms") or not self.callback or not self.duration:
            return
        try:
            seconds = int(value) / 1_000_000
        except ValueError:
            return  # "N/A" before the first packet
        now = time.monotonic()
        if now - self.last_call < self.interval:
            return
        self.last_call = now
        fraction = min(max(seconds / self.duration, 0.0), 1.0)
        eta = (now - self.started) * (1 - fraction) / fraction if fraction > 0 else None
        self.callback(fraction, eta)


class _Process:
    """An ffmpeg child whose stderr is drained into a tail and which a timer can kill."""

    def __init__(self, cmd: list[str], timeout: float | None, tail_lines: int):
        self.cmd = cmd
        self.timeout = timeout
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self.timed_out = threading.Event()
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.reader = threading.Thread(target=_drain, args=(self.proc.stderr, self.tail))
        self.reader.daemon = True
        self.reader.start()
        self.timer = threading.Timer(timeout, self._kill_on_timeout) if timeout else None
        if self.timer:
            self.timer.daemon = True
            self.timer.start()

    def _kill_on_timeout(self) -> None:
        self.timed_out.set()
        self.proc.kill()

    @property
    def stdout(self) -> IO[bytes]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def finish(self) -> None:
        """Wait for a clean exit; raise FFmpegError (or FFmpegTimeout) otherwise."""
        returncode = self.proc.wait()
        self.reader.join()
        if self.timed_out.is_set():
            raise FFmpegTimeout(
                N_("ffmpeg a dépassé le délai de %(seconds)s s"),
                self.cmd,
                self.tail,
                seconds=f"{self.timeout:g}",
            )
        if returncode != 0:
            if self.tail:
                raise FFmpegError(
                    N_("ffmpeg a échoué (code %(code)s) : %(last_line)s"),
                    self.cmd,
                    self.tail,
                    code=returncode,
                    last_line=self.tail[-1],
                )
            raise FFmpegError(
                N_("ffmpeg a échoué (code %(code)s) sans message."),
                self.cmd,
                self.tail,
                code=returncode,
            )

    def close(self) -> None:
        """Kill ffmpeg if it still runs, then release the pipes and the timer."""
        if self.timer:
            self.timer.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join()
        self.stdout.close()
        assert self.proc.stderr is not None
        self.proc.stderr.close()


def run_ffmpeg(
    command: Any,
    *,
    output: str | os.PathLike[str] | None = None,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    progress_interval_s: float = 2.0,
    tail_lines: int = 40,
    ffmpeg_bin: str = "ffmpeg",
) -> RunResult:
    """Run ffmpeg, report progress, and atomically publish ``output`` only on success.

    ``command`` is an argument list or ffmpeg-python spec; when ``output`` is given it must be a
    callable receiving the temporary path to write to, e.g. ``lambda tmp: build_remux(src, tmp)``.
    An exception raised by ``on_progress`` (a cancelled job) stops ffmpeg and removes the output.
    """
    tmp_path = None
    if output is not None:
        if not callable(command):
            raise TypeError("with output=, command must be a callable taking the temporary path")
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        tmp_path = temporary_name(output)
        args = _as_args(command(tmp_path))
    else:
        args = _as_args(command() if callable(command) else command)
    extra = ["-y"] if tmp_path else []
    if "-progress" not in args:
        extra += ["-progress", "pipe:1", "-nostats"]
    cmd = [ffmpeg_bin, *_BASE_ARGS, *extra, *args]

    progress = _Progress(duration, on_progress, progress_interval_s)
    process = _Process(cmd, timeout, tail_lines)
    try:
        for raw in process.stdout:
            progress.feed(raw.decode("ascii", "replace").strip())
        process.finish()
        if tmp_path is not None:
            if not os.path.exists(tmp_path) or os.path.getsize(tmp_path) == 0:
                raise FFmpegError(
                    N_("ffmpeg n'a produit aucune donnée en sortie"), cmd, process.tail
                )
            os.replace(tmp_path, output)
            tmp_path = None
    finally:
        process.close()
        _remove_quietly(tmp_path)
    if on_progress:
        on_progress(1.0, 0.0)
    return RunResult(
        cmd=cmd, log_tail=list(process.tail), elapsed_s=time.monotonic() - progress.started
    )


def iter_ffmpeg_stdout(
    command: Any,
    *,
    chunk_size: int = 64 * 1024,
    timeout: float | None = None,
    tail_lines: int = 40,
    ffmpeg_bin: str = "ffmpeg",
) -> Iterator[bytes]:
    """Run ffmpeg writing to ``pipe:`` and yield its output in chunks (bounded memory)."""
    cmd = [ffmpeg_bin, *_BASE_ARGS, "-nostats", *_as_args(command)]
    process = _Process(cmd, timeout, tail_lines)
    try:
        while chunk := process.stdout.read(chunk_size):
            yield chunk
        process.finish()
    finally:
        process.close()
