"""Factories for the network tests: themes, people, organisations, events, threads."""

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Theme
from app.network.agenda_models import Event, EventMode, EventStatus
from app.network.models import Affiliation, Organisation, OrganisationKind, Person, Visibility


@pytest.fixture
def make_theme(app):
    def factory(slug="tarification-sociale", name="Tarification sociale"):
        theme = db.session.query(Theme).filter_by(slug=slug).one_or_none()
        if theme is None:
            theme = Theme(slug=slug, name=name)
            db.session.add(theme)
            db.session.commit()
        return theme

    return factory


@pytest.fixture
def make_person(app):
    def factory(slug="camille-martin", name="Camille Martin", **kw):
        kw.setdefault("visibility", Visibility.PUBLIC)
        kw.setdefault("consent_dt", utcnow())
        themes = kw.pop("themes", [])
        person = Person(slug=slug, name=name, field_visibility=kw.pop("field_visibility", {}), **kw)
        person.themes = themes
        db.session.add(person)
        db.session.commit()
        return person

    return factory


@pytest.fixture
def make_org(app):
    def factory(slug="epicerie-du-coin", name="L'Épicerie du Coin", **kw):
        kw.setdefault("kind", OrganisationKind.EPICERIE)
        kw.setdefault("visibility", Visibility.PUBLIC)
        themes = kw.pop("themes", [])
        org = Organisation(slug=slug, name=name, field_visibility=kw.pop("field_visibility", {}),
                           **kw)
        org.themes = themes
        db.session.add(org)
        db.session.commit()
        return org

    return factory


@pytest.fixture
def affiliate(app):
    def do(person, org, role_label="", is_main_contact=False):
        db.session.add(Affiliation(person=person, organisation=org, role_label=role_label,
                                   is_main_contact=is_main_contact))
        db.session.commit()

    return do


@pytest.fixture
def make_event(app):
    def factory(title="Rencontre des épiceries solidaires", days=10, **kw):
        start = kw.pop("start_dt", utcnow().replace(microsecond=0) + timedelta(days=days))
        kw.setdefault("status", EventStatus.PUBLISHED)
        kw.setdefault("mode", EventMode.IN_PERSON)
        themes = kw.pop("themes", [])
        event = Event(title=title, start_dt=start, end_dt=start + timedelta(hours=2),
                      uid=kw.pop("uid", f"test-{title}-{days}@example.org"), **kw)
        event.themes = themes
        db.session.add(event)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def feed_server(app):
    """A real HTTP server on 127.0.0.1 serving one partner .ics (see feed_helpers).

    Feeds on loopback are refused by default (NETWORK_FEED_ALLOW_PRIVATE): the tests that read
    this server turn the setting on, explicitly, here.
    """
    from tests.network.feed_helpers import FeedServer

    app.config["NETWORK_FEED_ALLOW_PRIVATE"] = True
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
