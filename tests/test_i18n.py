"""Sentences stored by workers are shown in each reader's language."""

import pickle

import sqlalchemy as sa
from flask_babel import refresh
from markupsafe import Markup

from app.core.i18n import Message, MessageText, translated


def test_message_is_its_french_text_and_translates_when_read(app):
    message = Message("Ligne %(n)s : écrivez « minutes:secondes Titre ».", n=3)
    assert message == "Ligne 3 : écrivez « minutes:secondes Titre »."
    assert "Ligne 3" in message
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert message.translated() == "Line 3: write “minutes:seconds Title”."
        assert str(message) == "Line 3: write “minutes:seconds Title”."
        assert f"{message}" == "Line 3: write “minutes:seconds Title”."
        assert translated(message) == "Line 3: write “minutes:seconds Title”."
        assert translated("plain") == "plain"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        refresh()  # the fixture's app context outlives the request and caches the locale
        assert message.translated() == "Ligne 3 : écrivez « minutes:secondes Titre »."


def test_message_is_escaped_in_templates(app):
    message = Message("Ligne %(n)s : écrivez « minutes:secondes Titre ».", n="<b>")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = app.jinja_env.from_string("{{ m }}").render(m=message)
    assert html == str(Markup("Line &lt;b&gt;: write “minutes:seconds Title”."))


def test_message_survives_json_and_pickle():
    message = Message("Publication")
    assert Message.from_json(message.to_json()).msgid == "Publication"
    assert Message.from_json("texte libre") is None
    assert Message.from_json('{"msgid" broken') is None
    dumped = pickle.dumps(Message("Ligne %(n)s : écrivez « minutes:secondes Titre ».", n=2))
    copy = pickle.loads(dumped)  # noqa: S301 - our own bytes
    assert copy.params == {"n": 2} and copy == "Ligne 2 : écrivez « minutes:secondes Titre »."


def test_message_column_round_trips_messages_and_plain_text(app):
    from app.extensions import db

    table = sa.Table(
        "i18n_probe",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", MessageText),
    )
    with app.app_context(), db.engine.begin() as connection:
        table.create(connection)
        try:
            connection.execute(
                table.insert(),
                [
                    {
                        "id": 1,
                        "text": Message("Ligne %(n)s : écrivez « minutes:secondes Titre ».", n=7),
                    },
                    {"id": 2, "text": "du texte écrit par une personne"},
                    {"id": 3, "text": None},
                ],
            )
            rows = dict(connection.execute(sa.select(table.c.id, table.c.text)).all())
        finally:
            table.drop(connection)
    assert isinstance(rows[1], Message) and rows[1].params == {"n": 7}
    assert rows[2] == "du texte écrit par une personne" and not isinstance(rows[2], Message)
    assert rows[3] is None
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert rows[1].translated() == "Line 7: write “minutes:seconds Title”."


def test_values_that_are_messages_are_translated_and_stored_too(app):
    nested = Message("Présences enregistrées pour « %(title)s ».", title=Message("Erreur interne."))
    assert nested == "Présences enregistrées pour « Erreur interne. »."
    back = Message.from_json(nested.to_json())
    assert isinstance(back.params["title"], Message)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert back.translated() == "Attendance saved for “Internal error.”."


def test_french_counts_zero_in_the_singular_and_english_in_the_plural(app):
    from flask_babel import ngettext

    forms = ("%(num)s ressource à vérifier", "%(num)s ressources à vérifier")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        refresh()
        assert [ngettext(*forms, n) for n in (0, 1, 2)] == [
            "0 ressource à vérifier",
            "1 ressource à vérifier",
            "2 ressources à vérifier",
        ]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert ngettext(*forms, 0) == "0 resources to check"
