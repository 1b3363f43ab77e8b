"""WebVTT and SRT transcript builders."""

import re

import pytest

from feeds.transcripts import build_srt, build_webvtt, format_timestamp
from feeds.types import Cue, FeedError

CUES = [
    Cue(0.0, 2.5, "Bonjour à toutes et à tous.", "Camille"),
    (2.5, 3723.042, "Les prix & les <marges> 🥕"),
]
VTT_TIMING = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$")
SRT_TIMING = re.compile(r"^\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}$")


def test_timestamps_have_hours_and_milliseconds():
    assert format_timestamp(3723.042) == "01:02:03.042"
    assert format_timestamp(3723.042, decimal=",") == "01:02:03,042"
    assert format_timestamp(59.9996) == "00:01:00.000"


def test_webvtt_has_header_timings_voices_and_escaped_text():
    vtt = build_webvtt(CUES)
    blocks = vtt.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    assert blocks[1] == "00:00:00.000 --> 00:00:02.500\n<v Camille>Bonjour à toutes et à tous."
    timing, text = blocks[2].split("\n")
    assert VTT_TIMING.match(timing) and timing.endswith("01:02:03.042")
    assert text == "Les prix &amp; les &lt;marges&gt; 🥕"


def test_srt_numbers_cues_from_one_with_comma_milliseconds():
    srt = build_srt(CUES)
    blocks = srt.strip("\n").split("\n\n")
    assert [block.split("\n")[0] for block in blocks] == ["1", "2"]
    assert all(SRT_TIMING.match(block.split("\n")[1]) for block in blocks)
    assert blocks[0].split("\n")[2] == "Camille: Bonjour à toutes et à tous."
    assert blocks[1].split("\n")[2] == "Les prix & les <marges> 🥕"


def test_blank_lines_and_arrows_in_text_cannot_break_a_cue():
    cues = [(0, 1, "ligne un\n\n\nligne deux --> suite"), (1, 2, "   ")]
    for document in (build_webvtt(cues), build_srt(cues)):
        assert "ligne un\nligne deux → suite" in document
        assert document.count("-->") == 1


@pytest.mark.parametrize("cues", [[(2, 1, "à l'envers")], [(-1, 1, "négatif")]])
def test_cue_ending_before_it_starts_is_refused(cues):
    with pytest.raises(FeedError, match="end after"):
        build_webvtt(cues)


def test_cues_out_of_order_are_refused():
    with pytest.raises(FeedError, match="before the previous"):
        build_srt([(5, 6, "b"), (1, 2, "a")])
