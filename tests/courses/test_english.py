"""The course pages in English: an English reader sees no French interface sentence.

Titles, summaries and names are people's content and stay as written; everything the site says
around them (labels, states, counts, units, the site's name) is checked in English here.
"""

import io
import re
from datetime import timedelta

import pypdf
import pytest
from flask_babel import force_locale

from app.auth.models import Role
from app.core.db import utcnow
from app.courses import operations
from app.courses.models import ConsentState, MaterialKind
from app.extensions import db
from app.library import operations as library
from app.media.models import JobState, ProcessingJob
from app.media.operations import store_file
from app.media.steps import step_label
from tests.conftest import login

EN = {"Accept-Language": "en-GB,en;q=0.9"}

#: French interface sentences fixed for English readers; none may show on an English page.
FRENCH = (
    "La Boîte à outils des circuits courts",
    "Se former",
    "Inscriptions ouvertes",
    "Prochaine séance",
    "Tarification sociale",  # a seeded theme's name
    "Intervention :",
    " : ",  # French spacing before a colon, outside people's text
    "Ko)",
    "Mon espace formation",
    "Reprendre la lecture",
    "Se connecter",
    "séance",
    "formation",
)


def visible_text(html: str) -> str:
    """The page's text as read: no tags, no scripts, entities left as they are."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def assert_no_french(text: str, allowed: tuple[str, ...] = ()) -> None:
    for content in allowed:  # people's content (titles, names) may hold any word
        text = text.replace(content, "")
    left = [sentence for sentence in FRENCH if sentence in text]
    assert not left, f"French on an English page: {left}\n{text}"


@pytest.fixture
def course(app, make_course, make_person, ready_asset):
    """A published course with a theme, a speaker with a talk, a file and a published replay."""
    themes = {t.slug: t for t in library.seed_themes()}
    course = make_course(
        "Prix justes",
        summary="Un cycle sur les prix.",
        capacity=12,
        theme_ids=[themes["tarification-sociale"].id],
        start=utcnow() - timedelta(days=2),
        every=timedelta(days=7),
    )
    first = course.sessions[0]
    speaker = operations.add_speaker(first, make_person("Inès Martin"), "speaker", "Le panier")
    operations.set_speaker_consent(speaker, ConsentState.GRANTED, None)
    operations.attach_replay(first, ready_asset())
    operations.publish_replay(first)
    sheet = store_file(io.BytesIO(b"%PDF-1.4\n" + b"0" * 50_000), "grille.pdf", prefix="test")
    operations.add_material(course, MaterialKind.FILE, title="Grille", file_id=sheet.id)
    db.session.commit()
    return course


CONTENT = (
    "Prix justes",
    "Un cycle sur les prix.",
    "Inès Martin",
    "Le panier",
    "Grille",
    "Séance 1",
    "Séance 2",
    "Séance 3",
)


def english_user(make_user, role=Role.LEARNER):
    """An account whose chosen language is English."""
    user = make_user(role)
    user.locale = "en"
    db.session.commit()
    return user


def test_catalogue_in_english(client, course):
    html = client.get("/se-former/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in html
    text = visible_text(html)
    assert "<title>Learn · The Short Food Supply Chain Toolkit</title>" in html
    for english in ("Learn", "Under way, registration open", "Next session:", "Social pricing"):
        assert english in text, english
    assert "1 course" in text
    assert_no_french(text, CONTENT)


def test_course_page_in_english(client, course):
    html = client.get(f"/se-former/{course.slug}", headers=EN).get_data(as_text=True)
    text = visible_text(html)
    for english in (
        "Registration",
        "Sessions",
        "Talk: Le panier",  # the colon belongs to the translated sentence
        "Watch the replay",
        "Materials and resources",
        "(PDF, 49 KB)",
        "12 places in total",
        "Social pricing",
        "Sign in to register",
    ):
        assert english in text, english
    assert_no_french(text, CONTENT)


def test_partner_course_sentence_in_english(client, make_course):
    course = make_course(
        "Cycle partenaire",
        is_external=True,
        provider="Réseau Civam",
        external_url="https://civam.example.org/formation",
    )
    text = visible_text(client.get(f"/se-former/{course.slug}", headers=EN).get_data(as_text=True))
    assert "This course is offered by a partner (Réseau Civam); registration" in text
    assert_no_french(text, ("Cycle partenaire", "Réseau Civam"))


def test_session_page_and_dashboard_in_english(client, course, make_user):
    learner = english_user(make_user)
    login(client, learner)
    client.post(f"/se-former/{course.slug}/inscription")
    first = course.sessions[0]
    client.put(
        f"/api/courses/sessions/{first.id}/progress",
        json={"position_s": 17, "duration_s": 60},
    )
    text = visible_text(client.get(f"/se-former/{course.slug}/seances/{first.id}").get_data(True))
    for english in ("Session 1", "Speakers and testimonies", "Talk: Le panier", "Resuming at 0:17"):
        assert english in text, english
    assert_no_french(text, CONTENT)

    text = visible_text(client.get("/se-former/mon-espace").get_data(as_text=True))
    for english in ("My learning space", "Resume playback", "Stopped at 0:17", "28%", "Registered"):
        assert english in text, english
    assert_no_french(text, CONTENT)


def test_back_office_in_english(client, course, make_user):
    login(client, english_user(make_user, Role.ANIMATOR))
    first = course.sessions[0]
    # The attached recording is being reprocessed: its state and step read as words.
    job = ProcessingJob(
        asset=first.replay_asset, state=JobState.RUNNING, step="probe", progress=0.4
    )
    db.session.add(job)
    db.session.commit()
    text = visible_text(
        client.get(f"/se-former/gestion/{course.id}/seances/{first.id}").get_data(True)
    )
    assert f"Session 1: {first.title}" in text
    assert "Attached recording:" in text
    with force_locale("en"):
        step = step_label("probe")  # the media feature's words for the step
    assert f"Processing: in progress – {step}" in text
    assert "40%" in text and "probe" not in text
    assert_no_french(text, (*CONTENT, first.title, course.title, "Replay"))

    text = visible_text(client.get(f"/se-former/gestion/{course.id}").get_data(as_text=True))
    assert "(File)" in text  # the material's kind, not its code
    assert "(file)" not in text

    pdf = client.get(f"/se-former/gestion/{course.id}/emargement.pdf")
    sheet = pypdf.PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Attendance sheet – Prix justes" in sheet and "Printed on" in sheet
    assert "Signature" in sheet and "Feuille" not in sheet and "Éditée" not in sheet


def test_personal_calendar_speaks_the_learners_language(client, course, make_user):
    learner = english_user(make_user)
    login(client, learner)
    client.post(f"/se-former/{course.slug}/inscription")
    token = operations.create_calendar_token(learner)
    db.session.commit()
    client.post("/compte/deconnexion")
    body = client.get(f"/se-former/calendrier/personnel/{token}.ics").get_data(as_text=True)
    assert "X-WR-CALNAME:My courses – The Short Food Supply Chain Toolkit" in body
    assert "LABEL=Join the live session" in body
    assert "Rejoindre" not in body
