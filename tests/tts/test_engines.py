"""Engines: real espeak-ng synthesis, clear failures, and the engine chosen from configuration."""

import logging
import os
import stat
import sys
import wave

import pytest
from pydub import AudioSegment

from app.tts.engines import (
    EngineUnavailable,
    EspeakEngine,
    PiperEngine,
    SynthesisError,
    get_engine,
)

MISSING = "/nonexistent/bin/espeak-ng"


def _duration_s(path) -> float:
    with wave.open(os.fspath(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.espeak
def test_espeak_speaks_french_into_a_wav(engine, tmp_path):
    out = engine.synthesize("Bonjour. Le marché ouvre à dix heures trente.", tmp_path / "a.wav")

    assert out == tmp_path / "a.wav"
    with wave.open(os.fspath(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
    assert 1.0 < _duration_s(out) < 10.0
    with open(out, "rb") as fh:
        assert AudioSegment.from_wav(fh).dBFS > -35  # speech, not silence
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no partial file left behind


@pytest.mark.espeak
def test_espeak_reads_text_from_stdin_beyond_the_argv_limit(engine, tmp_path):
    # Linux refuses a single argument over 128 KiB: this text could not be passed in argv.
    text = "Début du texte." + " " * 200_000 + "Fin du texte."

    out = engine.synthesize(text, tmp_path / "long.wav")

    assert 1.0 < _duration_s(out) < 10.0


@pytest.mark.espeak
def test_slower_speech_lasts_longer_and_changes_the_engine_id(tmp_path):
    text = "Les producteurs livrent les paniers chaque semaine au point de retrait."
    fast, slow = EspeakEngine(speed=300), EspeakEngine(speed=120)

    assert _duration_s(slow.synthesize(text, tmp_path / "slow.wav")) > 1.5 * _duration_s(
        fast.synthesize(text, tmp_path / "fast.wav")
    )
    assert fast.id != slow.id
    assert fast.id.startswith("espeak-ng:1.")


def test_missing_espeak_binary_raises_engine_unavailable(tmp_path):
    engine = EspeakEngine(binary=MISSING)

    assert not engine.available()
    with pytest.raises(EngineUnavailable, match="installez espeak-ng") as caught:
        engine.synthesize("Bonjour.", tmp_path / "a.wav")
    assert "espeak-ng" in str(caught.value)
    assert not (tmp_path / "a.wav").exists()
    with pytest.raises(EngineUnavailable, match="espeak-ng"):
        get_engine({"ESPEAK_BINARY": MISSING})


@pytest.mark.espeak
def test_unknown_voice_fails_with_the_engine_message(tmp_path):
    with pytest.raises(SynthesisError, match="voice does not exist"):
        EspeakEngine(voice="xx-inexistant").synthesize("Bonjour.", tmp_path / "a.wav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.espeak
def test_get_engine_defaults_to_french_espeak_with_configured_settings():
    default = get_engine({})
    tuned = get_engine({"TTS_ENGINE": "espeak", "TTS_VOICE": "fr-be", "TTS_SPEED": 140,
                        "TTS_PITCH": 40})

    assert isinstance(default, EspeakEngine)
    assert (default.voice, default.speed, default.pitch) == ("fr", 160, 50)
    assert (tuned.voice, tuned.speed, tuned.pitch) == ("fr-be", 140, 40)


def test_piper_is_refused_when_required_but_not_provisioned(tmp_path):
    with pytest.raises(EngineUnavailable, match="Piper"):
        get_engine({"TTS_ENGINE": "piper"})
    with pytest.raises(EngineUnavailable, match="Piper"):
        get_engine({"TTS_ENGINE": "piper", "TTS_PIPER_MODEL": str(tmp_path / "absent.onnx")})
    with pytest.raises(EngineUnavailable, match="inconnu"):
        get_engine({"TTS_ENGINE": "festival"})


@pytest.mark.espeak
def test_auto_falls_back_to_espeak_when_the_piper_voice_is_unusable(tmp_path, caplog):
    model = tmp_path / "fr_FR-siwis-medium.onnx"
    model.write_bytes(b"onnx")  # no .onnx.json config beside it, and no piper program

    with caplog.at_level(logging.WARNING, logger="app.tts.engines"):
        engine = get_engine({"TTS_PIPER_MODEL": str(model)})

    assert isinstance(engine, EspeakEngine)
    assert "falling back to espeak-ng" in caplog.text


def _stand_in_piper(tmp_path):
    """Write a program with piper's command line that speaks stdin through espeak-ng.

    No Piper voice can be installed here (nothing is downloaded); this checks our side of the
    contract: model and output options, text on stdin, a WAV at the given path.
    """
    script = tmp_path / "piper"
    script.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys\n"
        "args = sys.argv[1:]\n"
        "model, out = args[args.index('-m') + 1], args[args.index('-f') + 1]\n"
        "speaker = args[args.index('-s') + 1] if '-s' in args else ''\n"
        "open(out + '.model', 'w').write(model + '|' + speaker)\n"
        "subprocess.run(['espeak-ng', '-v', 'fr', '--stdin', '-w', out],"
        " input=sys.stdin.buffer.read(), check=True)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.espeak
def test_piper_engine_is_chosen_when_its_voice_is_provisioned(tmp_path):
    model = tmp_path / "fr_FR-siwis-medium.onnx"
    model.write_bytes(b"onnx")
    model.with_name(model.name + ".json").write_text("{}")
    binary = _stand_in_piper(tmp_path)

    engine = get_engine({"TTS_PIPER_MODEL": str(model), "TTS_PIPER_BINARY": str(binary),
                         "TTS_PIPER_SPEAKER": "2"})
    out = engine.synthesize("Bonjour à toutes et à tous.", tmp_path / "piper.wav")

    assert isinstance(engine, PiperEngine)
    assert engine.voice == "fr_FR-siwis-medium#2"
    assert engine.id == "piper:4"
    assert _duration_s(out) > 0.5
    received = next(tmp_path.glob("*.model")).read_text()
    assert received == f"{model}|2"


def test_piper_engine_without_program_is_unavailable(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"onnx")
    model.with_name(model.name + ".json").write_text("{}")
    engine = PiperEngine(str(model), binary=str(tmp_path / "no-piper"))

    assert not engine.available()
    with pytest.raises(EngineUnavailable, match="piper"):
        engine.synthesize("Bonjour.", tmp_path / "a.wav")
