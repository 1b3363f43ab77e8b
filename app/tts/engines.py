"""Speech synthesis engines behind one small interface.

espeak-ng is the default (a Debian package, always available); Piper is used only when an
administrator has put a voice model on disk. Nothing is ever downloaded. Text goes to the engine
on stdin, never in argv, so a long section cannot hit the argument length limit.
"""

import functools
import logging
import os
import re
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from app.media import N_, SentenceError

log = logging.getLogger(__name__)

ESPEAK_MISSING = N_(
    "Moteur de synthèse vocale introuvable : installez espeak-ng (apt-get install espeak-ng)."
)
#: Seconds allowed per character of text on top of a fixed minimum: espeak-ng reads ~460× real
#: time, Piper ~1× on a small CPU, so this only stops a process that hangs.
_SECONDS_PER_CHAR = 0.05
_MIN_TIMEOUT = 60


class EngineUnavailable(SentenceError, RuntimeError):
    """The configured engine cannot run on this machine; the message says what to install."""


class SynthesisError(SentenceError, RuntimeError):
    """The engine ran but did not produce audio; the message is a whole sentence for editors."""


class Engine(ABC):
    """A text-to-speech engine that writes one WAV file per call."""

    #: Short engine name, e.g. "espeak-ng".
    name: str = ""
    #: Voice as the engine names it.
    voice: str = ""
    #: What to tell the person running the job when the engine cannot run.
    missing_message: str = ESPEAK_MISSING

    @property
    @abstractmethod
    def id(self) -> str:
        """Return everything but the voice that changes the audio (engine, version, settings)."""

    @abstractmethod
    def available(self) -> bool:
        """Return True when the engine can run here."""

    @abstractmethod
    def synthesize(self, text: str, out_wav_path: str | os.PathLike) -> Path:
        """Speak text into a WAV file (the engine's native rate, mono) and return its path."""

    def ensure_available(self) -> None:
        """Raise EngineUnavailable with an actionable message if the engine cannot run."""
        if not self.available():
            raise EngineUnavailable(self.missing_message)

    def _run(self, args: list[str], text: str, out_wav_path: str | os.PathLike) -> Path:
        """Run the engine with text on stdin, writing to a temporary name then renaming."""
        self.ensure_available()
        out = Path(out_wav_path)
        fd, partial = tempfile.mkstemp(prefix=".partial-", suffix=".wav", dir=out.parent)
        os.close(fd)
        try:
            command = [a.replace("{out}", partial) for a in args]
            try:
                result = subprocess.run(
                    command,
                    input=text.encode(),
                    capture_output=True,
                    timeout=_MIN_TIMEOUT + _SECONDS_PER_CHAR * len(text),
                    check=False,
                )
            except FileNotFoundError as error:
                raise EngineUnavailable(self.missing_message) from error
            except subprocess.TimeoutExpired as error:
                raise SynthesisError(
                    N_("La synthèse vocale a échoué : %(engine)s n'a pas terminé à temps."),
                    engine=self.name,
                ) from error
            stderr = result.stderr.decode(errors="replace").strip()[-500:]
            if result.returncode != 0:
                raise SynthesisError(
                    N_(
                        "La synthèse vocale a échoué : %(engine)s s'est arrêté avec le code "
                        "%(code)s (%(detail)s)."
                    ),
                    engine=self.name,
                    code=result.returncode,
                    detail=stderr,
                )
            if os.path.getsize(partial) <= 44:
                if stderr:
                    raise SynthesisError(
                        N_(
                            "La synthèse vocale a échoué : %(engine)s n'a produit aucun son "
                            "(%(detail)s)."
                        ),
                        engine=self.name,
                        detail=stderr,
                    )
                raise SynthesisError(
                    N_("La synthèse vocale a échoué : %(engine)s n'a produit aucun son."),
                    engine=self.name,
                )
            os.replace(partial, out)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return out


def _resolve(binary: str) -> str | None:
    """Return the executable path of binary (a name on PATH or a path), or None."""
    return shutil.which(binary)


class EspeakEngine(Engine):
    """espeak-ng through its command-line program."""

    name = "espeak-ng"

    def __init__(
        self, binary: str = "espeak-ng", voice: str = "fr", speed: int = 160, pitch: int = 50
    ) -> None:
        self.binary = binary
        self.voice = voice
        self.speed = int(speed)  # words per minute; espeak-ng's default 175 is fast for a guide
        self.pitch = int(pitch)

    def available(self) -> bool:
        """Return True when the espeak-ng program is found."""
        return _resolve(self.binary) is not None

    @functools.cached_property
    def version(self) -> str:
        """Return the espeak-ng version, e.g. "1.51"."""
        self.ensure_available()
        result = subprocess.run(
            [_resolve(self.binary), "--version"], capture_output=True, text=True, check=False
        )
        match = re.search(r"text-to-speech:\s*(\S+)", result.stdout)
        return match.group(1) if match else "unknown"

    @property
    def id(self) -> str:
        """Return engine, version, speed and pitch: everything but the voice that shapes audio."""
        return f"{self.name}:{self.version}:s{self.speed}:p{self.pitch}"

    def synthesize(self, text: str, out_wav_path: str | os.PathLike) -> Path:
        """Speak UTF-8 text read from stdin into a 22,050 Hz mono WAV file."""
        args = [
            _resolve(self.binary) or self.binary,
            "-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch),
            "-b", "1", "--stdin", "-w", "{out}",
        ]
        return self._run(args, text, out_wav_path)


class PiperEngine(Engine):
    """Piper with a voice model provided by the administrator (an .onnx file and its .json)."""

    name = "piper"
    missing_message = N_(
        "Moteur de synthèse vocale Piper indisponible : installez le programme piper et "
        "indiquez le chemin d'une voix (.onnx) dans TTS_PIPER_MODEL."
    )

    def __init__(self, model_path: str, binary: str = "piper", speaker: int | None = None) -> None:
        self.model_path = Path(model_path)
        self.binary = binary
        self.speaker = speaker
        self.voice = self.model_path.stem + (f"#{speaker}" if speaker is not None else "")

    def available(self) -> bool:
        """Return True when the piper program and the voice model with its config exist."""
        config = self.model_path.with_name(self.model_path.name + ".json")
        return (
            _resolve(self.binary) is not None
            and self.model_path.is_file()
            and config.is_file()
        )

    @property
    def id(self) -> str:
        """Return engine and model size: a replaced model file yields new audio."""
        size = self.model_path.stat().st_size if self.model_path.is_file() else 0
        return f"{self.name}:{size}"

    def synthesize(self, text: str, out_wav_path: str | os.PathLike) -> Path:
        """Speak text read from stdin into a WAV file at the voice's sample rate."""
        args = [_resolve(self.binary) or self.binary, "-m", str(self.model_path), "-f", "{out}"]
        if self.speaker is not None:
            args += ["-s", str(self.speaker)]
        # Piper reads one utterance per line: keep the section's paragraphs as lines.
        return self._run(args, text if text.endswith("\n") else text + "\n", out_wav_path)


def get_engine(config: Mapping) -> Engine:
    """Return the configured engine, ready to run, or raise EngineUnavailable."""
    # Keys: TTS_ENGINE ("auto", "espeak" or "piper"; "auto" takes Piper when its model is
    # configured and usable, otherwise espeak-ng), TTS_VOICE, TTS_SPEED, TTS_PITCH,
    # ESPEAK_BINARY (the key app/config.py already has), TTS_PIPER_BINARY, TTS_PIPER_MODEL,
    # TTS_PIPER_SPEAKER.
    choice = str(config.get("TTS_ENGINE") or "auto").lower()
    if choice not in ("auto", "espeak", "espeak-ng", "piper"):
        raise EngineUnavailable(N_("Moteur de synthèse vocale inconnu : %(name)s."), name=choice)
    model = config.get("TTS_PIPER_MODEL")
    if choice in ("auto", "piper") and model:
        speaker = config.get("TTS_PIPER_SPEAKER")
        piper = PiperEngine(
            model,
            binary=config.get("TTS_PIPER_BINARY") or "piper",
            speaker=int(speaker) if speaker not in (None, "") else None,
        )
        if piper.available():
            return piper
        if choice == "piper":
            raise EngineUnavailable(piper.missing_message)
        log.warning("Piper voice %s is not usable here; falling back to espeak-ng", model)
    elif choice == "piper":
        raise EngineUnavailable(PiperEngine.missing_message)
    engine = EspeakEngine(
        binary=config.get("ESPEAK_BINARY") or "espeak-ng",
        voice=config.get("TTS_VOICE") or "fr",
        speed=config.get("TTS_SPEED") or 160,
        pitch=config.get("TTS_PITCH") or 50,
    )
    engine.ensure_available()
    return engine
