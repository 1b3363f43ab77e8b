"""Fixtures for the text-to-speech layer: a real espeak-ng engine and a section cache on disk."""

import shutil

import pytest

from app.tts.cache import SectionCache
from app.tts.engines import EspeakEngine


@pytest.fixture
def engine() -> EspeakEngine:
    """espeak-ng with the French voice, at a fast rate to keep the suite quick."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for these tests (apt-get install espeak-ng)")
    return EspeakEngine(voice="fr", speed=260)


@pytest.fixture
def cache(tmp_path):
    """A section cache stored under tmp_path, closed after the test."""
    with SectionCache.in_directory(tmp_path / "cache") as section_cache:
        yield section_cache
