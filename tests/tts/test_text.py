"""Text preparation: Markdown structure, French made speakable, hashes, empty and huge guides."""

import inspect
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from app.tts.french import ABBREVIATIONS, cardinal, ordinal, speakable
from app.tts.text import (
    MAX_CHUNK_CHARS,
    NOTICE_CODE,
    NOTICE_IMAGE,
    NOTICE_TABLE,
    EmptyGuide,
    content_hash,
    iter_sections,
    prepare_guide,
)

GUIDE = """\
# Monter une AMAP

Ce guide explique comment créer une AMAP avec [Open Food France](https://openfoodfrance.org).

## Logistique

Le marché a lieu le 12/03/2026 à 10h30. Le panier coûte 12,50 € TTC.

- Préparer le stand
- Peser 3 kg de pommes

1. Réserver la salle
2. Prévenir les adhérents

### Matériel

| Objet | Prix |
|---|---|
| Balance | 80 € |

![Plan du marché](plan.png)

```
pas lu
```

## Statuts juridiques

La SCIC, le GIE et la SAS. ~~Texte retiré.~~ Fin 🎉.
"""


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Il reste 12,50 €.", "Il reste douze euros cinquante."),
        ("Un ticket de 0,50 €", "Un ticket de cinquante centimes"),
        ("Budget : 1 000 000 €", "Budget: un million d'euros"),
        ("Subvention de 1,5 M€", "Subvention de un million cinq cent mille euros"),
        ("Une hausse de 15 %", "Une hausse de quinze pour cent"),
        ("soit 2,5 % du total", "soit deux virgule cinq pour cent du total"),
        ("Le 12/03/2026", "Le douze mars deux mille vingt-six"),
        ("le 01/05/26", "le premier mai deux mille vingt-six"),
        ("Rendez-vous le 12.03.2026.", "Rendez-vous le douze mars deux mille vingt-six."),
        ("le 12-03-2026 ou de 10-12 h",
         "le douze mars deux mille vingt-six ou de dix à douze heures"),
        ("depuis le 2025-11-30", "depuis le trente novembre deux mille vingt-cinq"),
        ("Le 1er mars, la 1re fois, le 2e étage, le 21e jour",
         "Le premier mars, la première fois, le deuxième étage, le vingt et unième jour"),
        ("au XXIe siècle", "au vingt et unième siècle"),
        ("Ouverture à 10h30, fermeture à 14 h",
         "Ouverture à dix heures trente, fermeture à quatorze heures"),
        ("de 9:05 à 1h", "de neuf heures cinq à une heure"),
        ("de 14h-16h", "de quatorze heures à seize heures"),
        ("12 000 adhérents", "douze mille adhérents"),
        ("3 kg de pommes à 4,20 €/kg", "trois kilos de pommes à quatre euros vingt par kilo"),
        ("1,5 kg", "un virgule cinq kilo"),
        ("21 t de blé et 90 km", "vingt et une tonnes de blé et quatre-vingt-dix kilomètres"),
        ("il fait -5 °C", "il fait moins cinq degrés"),
        ("Covid-19", "Covid dix-neuf"),
        ("L'AMAP, la SCIC et le GIE", "L'amap, la scic et le G I E"),
        ("la loi EGalim", "la loi égalim"),
        ("SAS, SARL, EARL, GAEC, CUMA", "S A S, S A R L, E A R L, gaèk, cuma"),
        ("Le PAT du territoire", "Le projet alimentaire territorial du territoire"),
        ("conforme au RGPD", "conforme au R G P D"),
        ("prix HT ou TTC", "prix hors taxes ou toutes taxes comprises"),
        ("Mme Martin, n° 5", "madame Martin, numéro cinq"),
        ("Bravo 🎉👍🏽 !", "Bravo!"),
        ("Écrivez à contact@openfoodfrance.org",
         "Écrivez à contact arobase openfoodfrance point org"),
        ("Voir https://www.openfoodfrance.org/guides/amap",
         "Voir openfoodfrance point org"),
        ("Texte 中文 ici", "Texte ici"),
        ("Appelez le 06 12 34", "Appelez le zéro six douze trente-quatre"),
        ("En 2024 l’AMAP a livré 5 t", "En deux mille vingt-quatre l'amap a livré cinq tonnes"),
        ("la version 2.1 du guide", "la version deux point un du guide"),
    ],
)
def test_speakable_expands_french_numbers_dates_and_abbreviations(written, spoken):
    assert speakable(written) == spoken


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zéro"), (16, "seize"), (17, "dix-sept"), (21, "vingt et un"), (71, "soixante et onze"),
        (80, "quatre-vingts"), (81, "quatre-vingt-un"), (99, "quatre-vingt-dix-neuf"),
        (200, "deux cents"), (201, "deux cent un"), (1001, "mille un"),
        (80_000, "quatre-vingt mille"), (200_000, "deux cent mille"),
        (2026, "deux mille vingt-six"),
        (1_234_567, "un million deux cent trente-quatre mille cinq cent soixante-sept"),
        (3_000_000_000, "trois milliards"),
    ],
)
def test_cardinal_spells_french_numbers(number, words):
    assert cardinal(number) == words


def test_ordinal_and_feminine_forms():
    assert [ordinal(n) for n in (1, 2, 5, 9, 21, 80, 100, 1000)] == [
        "premier", "deuxième", "cinquième", "neuvième", "vingt et unième", "quatre-vingtième",
        "centième", "millième",
    ]
    assert ordinal(1, feminine=True) == "première"
    assert cardinal(21, feminine=True) == "vingt et une"


def test_every_abbreviation_is_expanded_to_letters_or_words():
    for written, spoken in ABBREVIATIONS.items():
        assert speakable(f"la {written} ici") == f"la {spoken} ici"


def test_headings_become_announced_sections_in_order():
    sections = prepare_guide(GUIDE, "Monter une AMAP")

    assert [s.heading for s in sections] == [
        "Monter une AMAP", "Logistique", "Statuts juridiques",
    ]
    assert [s.index for s in sections] == [0, 1, 2]
    opening, logistics, statutes = sections
    # The H1 repeating the title is not read twice.
    assert opening.text_to_speak.count("Monter une amap") == 1
    assert opening.text_to_speak.startswith("Monter une amap.\nVersion audio lue par une voix")
    assert logistics.text_to_speak.startswith("Partie un: Logistique.\n")
    assert statutes.text_to_speak.startswith("Partie deux: Statuts juridiques.\n")
    # A third-level heading is read inside its section, not made a chapter.
    assert "\nMatériel.\n" in logistics.text_to_speak


def test_blocks_are_read_with_pauses_links_as_text_and_notices():
    opening, logistics, statutes = prepare_guide(GUIDE, "Monter une AMAP")

    assert "avec Open Food France." in opening.text_to_speak
    assert "openfoodfrance point org" not in opening.text_to_speak
    lines = logistics.text_to_speak.split("\n")
    assert "Le marché a lieu le douze mars deux mille vingt-six à dix heures trente. " \
           "Le panier coûte douze euros cinquante toutes taxes comprises." in lines
    # List items end with a full stop (a pause); ordered items say their number.
    assert "Préparer le stand." in lines
    assert "Peser trois kilos de pommes." in lines
    assert "un, Réserver la salle." in lines
    assert "deux, Prévenir les adhérents." in lines
    assert NOTICE_TABLE in lines
    assert "Une image figure dans la version écrite: Plan du marché." in lines
    assert NOTICE_CODE in lines
    assert "Balance" not in logistics.text_to_speak
    assert "pas lu" not in logistics.text_to_speak
    # Struck-through text is withdrawn; emoji are dropped from speech and transcript.
    assert statutes.text_to_speak.endswith("La scic, le G I E et la S A S. Fin.")
    assert "🎉" not in " ".join(c.written for c in statutes.chunks)


def test_written_text_is_kept_beside_spoken_text_for_transcripts():
    logistics = prepare_guide(GUIDE, "Monter une AMAP")[1]
    pairs = {chunk.written: chunk.spoken for chunk in logistics.chunks}

    assert pairs["Le panier coûte 12,50 € TTC."] == (
        "Le panier coûte douze euros cinquante toutes taxes comprises."
    )
    assert pairs["Partie 1 : Logistique"] == "Partie un: Logistique."
    assert pairs["1. Réserver la salle"] == "un, Réserver la salle."


def test_headings_numbered_or_labelled_by_the_author_keep_their_label():
    sections = prepare_guide(
        "## Introduction\n\nBonjour.\n\n## 3. Statuts\n\nTexte.\n\n## Vente\n\nTexte.\n", "Guide"
    )

    assert [s.text_to_speak.split("\n")[0] for s in sections[1:]] == [
        "Introduction.", "Partie trois: Statuts.", "Partie un: Vente.",
    ]


def test_image_alone_and_html_blocks():
    sections = prepare_guide(
        "Texte.\n\n![](photo.jpg)\n\n<div>Bloc <b>HTML</b></div>\n\n"
        "<table><tr><td>x</td></tr></table>\n",
        "Guide",
    )

    lines = sections[0].text_to_speak.split("\n")
    assert NOTICE_IMAGE in lines
    assert "Bloc HTML." in lines
    assert NOTICE_TABLE in lines
    assert "x" not in lines


def test_long_sentences_are_cut_into_caption_sized_chunks():
    sentence = ("Les producteurs, les consommateurs et les collectivités du territoire partagent "
                "la logistique, les outils de commande et les points de retrait, pour 12,50 € "
                "par panier livré chaque semaine dans les villages voisins du marché.")
    chunks = prepare_guide(sentence, "Guide")[0].chunks[2:]

    assert len(chunks) > 1
    assert " ".join(c.written for c in chunks) == sentence
    assert all(len(c.written) <= MAX_CHUNK_CHARS for c in chunks)
    # A number is never separated from its currency.
    assert any("12,50 €" in c.written for c in chunks)


@pytest.mark.parametrize(
    "markdown",
    ["", "   \n\n", "🎉🎉 👍", "# Mon guide\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
     "![](photo.png)\n", "```\ncode\n```\n"],
)
def test_guide_without_speakable_text_is_refused(markdown):
    with pytest.raises(EmptyGuide, match="aucun texte à lire"):
        prepare_guide(markdown, "Mon guide")


def test_content_hash_depends_on_engine_voice_and_text_only():
    base = prepare_guide(GUIDE, "Monter une AMAP")
    edited = prepare_guide(GUIDE.replace("12,50 €", "13 €"), "Monter une AMAP")
    other_voice = prepare_guide(GUIDE, "Monter une AMAP", voice="fr-be")
    other_engine = prepare_guide(GUIDE, "Monter une AMAP", engine_id="piper:123")

    assert [s.content_hash for s in base] == [s.content_hash for s in prepare_guide(
        GUIDE, "Monter une AMAP")]
    assert [a.content_hash == b.content_hash for a, b in zip(base, edited, strict=True)] == [
        True, False, True,
    ]
    assert all(a.content_hash != b.content_hash for a, b in zip(base, other_voice, strict=True))
    assert all(a.content_hash != b.content_hash for a, b in zip(base, other_engine, strict=True))
    assert base[1].content_hash == content_hash("espeak-ng", "fr", base[1].text_to_speak)


def _generated_guide(words: int, sections: int):
    """Yield the lines of a guide of about `words` words spread over `sections` sections."""
    sentence = "Le producteur livre 12 kg de légumes à l'AMAP le 12/03/2026 pour 25,50 €. "
    per_sentence = len(sentence.split())
    sentences_per_section = words // per_sentence // sections
    for number in range(1, sections + 1):
        yield f"## Étape {number}\n"
        yield "\n"
        for paragraph in range(0, sentences_per_section, 5):
            count = min(5, sentences_per_section - paragraph)
            yield sentence * count + "\n"
            yield "\n"


def test_a_100000_word_guide_prepares_section_by_section():
    sections = 0
    spoken_words = 0
    for section in iter_sections(_generated_guide(100_000, 40), "Gros guide"):
        sections += 1
        spoken_words += len(section.text_to_speak.split())

    assert sections == 41
    assert spoken_words > 100_000  # numbers and dates grow when spelled out


def test_sections_stream_before_the_whole_guide_is_read():
    consumed = 0
    lines = list(_generated_guide(100_000, 40))

    def counting():
        nonlocal consumed
        for line in lines:
            consumed += 1
            yield line

    stream = iter_sections(counting(), "Gros guide")
    assert inspect.isgenerator(stream)
    first_two = list(itertools.islice(stream, 2))

    assert [s.heading for s in first_two] == ["Gros guide", "Étape 1"]
    assert consumed < len(lines) / 10


def test_a_leading_title_heading_is_not_a_chapter_even_when_it_differs():
    sections = prepare_guide("# Vendre en direct\n\nTexte.\n\n## Un\n\nA.\n\n## Deux\n\nB.\n",
                             "Guide de la vente")

    assert [s.heading for s in sections] == ["Guide de la vente", "Un", "Deux"]
    assert sections[0].text_to_speak.split("\n")[:3] == [
        "Guide de la vente.", "Version audio lue par une voix de synthèse.", "Vendre en direct.",
    ]


def test_first_level_chapters_after_the_title_heading_are_chapters():
    sections = prepare_guide("# Guide\n\n# Un\n\nA.\n\n# Deux\n\nB.\n", "Guide")

    assert [s.heading for s in sections] == ["Guide", "Un", "Deux"]


def test_the_tts_layer_imports_no_database_and_no_worker():
    # A fresh interpreter, since this test session has already imported the whole app.
    code = (
        "import sys, app.tts.text, app.tts.engines, app.tts.cache, app.tts.assemble,"
        " app.tts.transcript, app.tts.edition;"
        "print(sorted(m for m in ('sqlalchemy', 'flask_sqlalchemy', 'celery', 'app.extensions',"
        " 'workers', 'feeds') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "[]"
