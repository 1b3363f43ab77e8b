"""Agenda: list and month views, filters, items from other features, iCal feeds, proposals."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from app.core.db import utcnow
from app.extensions import db
from app.network import operations
from app.network.agenda_models import Event, EventMode, EventStatus


def session_provider_for(start_dt):
    """A provider like the courses feature's: one online session, ignoring the filters."""

    def provider(start, end, filters):
        if not (start <= start_dt < end):
            return []
        return [operations.AgendaItem(
            uid="session-42@circuits-courts.openfoodfrance.fr",
            title="Tarification sociale (1/3) – Pourquoi des prix différenciés",
            start_dt=start_dt, end_dt=start_dt + timedelta(hours=1, minutes=30),
            url="http://localhost/se-former/tarification-sociale/sessions/42",
            kind="session", mode="online", themes=("tarification-sociale",),
            last_modified_dt=start_dt - timedelta(days=20),
        )]

    return provider


def _search(query):
    from app.search.operations import search

    try:
        return [hit.document.url for hit in search(query).hits]
    finally:
        # The search may open a transaction (SQLite snapshot): end it so later reads see the
        # rows the requests write.
        db.session.rollback()


def parse(ics_bytes):
    calendar = Calendar.from_ical(ics_bytes)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_agenda_shows_events_and_course_sessions_with_filters(client, make_event, make_theme):
    social = make_theme()
    make_event("Foire bio de Die", days=5, city="Die", departement_code="26")
    make_event("Rencontre des épiceries solidaires", days=8, mode=EventMode.HYBRID,
               departement_code="69", themes=[social])
    make_event("Brouillon en attente", days=6, status=EventStatus.PENDING)
    session_start = utcnow().replace(microsecond=0) + timedelta(days=3)
    provider = session_provider_for(session_start)
    operations.register_agenda_provider(provider)
    try:
        page = client.get("/reseau/agenda").get_data(as_text=True)
        assert "Foire bio de Die" in page and "Pourquoi des prix différenciés" in page
        assert "Brouillon en attente" not in page
        assert page.index("Pourquoi des prix") < page.index("Foire bio") < page.index(
            "Rencontre des épiceries")

        page = client.get("/reseau/agenda?theme=tarification-sociale").get_data(as_text=True)
        assert "Pourquoi des prix" in page and "Rencontre des" in page and "Foire" not in page
        page = client.get("/reseau/agenda?departement=26").get_data(as_text=True)
        assert "Foire bio" in page and "Rencontre des" not in page and "Pourquoi" not in page
        page = client.get("/reseau/agenda?online=1").get_data(as_text=True)
        assert "Pourquoi des prix" in page and "Rencontre des" in page and "Foire" not in page
        page = client.get("/reseau/agenda?online=0").get_data(as_text=True)
        assert "Foire" in page and "Pourquoi" not in page

        api = client.get("/api/network/events?theme=tarification-sociale").get_json()
        assert {i["kind"] for i in api} == {"event", "session"}
    finally:
        operations.unregister_agenda_provider(provider)


def test_month_view_places_items_on_their_paris_day(client, make_event):
    start = utcnow().replace(day=15, hour=22, minute=30, second=0, microsecond=0)
    make_event("Soirée tardive", start_dt=start)  # 23:30 or 00:30 in Paris
    response = client.get(f"/reseau/agenda?vue=mois&annee={start.year}&mois={start.month}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Soirée tardive" in page
    cell = page[page.index("Soirée tardive") - 400:page.index("Soirée tardive")]
    paris_day = start.astimezone(ZoneInfo("Europe/Paris")).day
    assert f'<span class="day-number">{paris_day}</span>' in cell
    assert client.get("/reseau/agenda?vue=mois&annee=2026&mois=13").status_code == 400


def test_ical_feeds_global_and_per_theme(client, make_event, make_theme):
    social = make_theme()
    make_event("Rencontre des épiceries solidaires", days=8, themes=[social], place="Salle Mistral",
               city="Valence", link="https://visio.example.org/secret")
    make_event("Foire bio de Die", days=5)
    cancelled = make_event("Atelier annulé", days=4, status=EventStatus.CANCELLED, sequence=1)
    response = client.get("/reseau/agenda.ics")
    assert response.mimetype == "text/calendar"
    events = parse(response.data)
    assert set(events) == {"Rencontre des épiceries solidaires", "Foire bio de Die",
                           "Atelier annulé"}
    assert str(events["Atelier annulé"]["STATUS"]) == "CANCELLED"
    assert int(events["Atelier annulé"]["SEQUENCE"]) == cancelled.sequence
    rencontre = events["Rencontre des épiceries solidaires"]
    assert str(rencontre["LOCATION"]) == "Salle Mistral, Valence"
    assert rencontre["DTSTART"].dt.tzinfo is not None
    assert client.get("/reseau/agenda.ics", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304

    themed = parse(client.get("/reseau/agenda/themes/tarification-sociale.ics").data)
    assert set(themed) == {"Rencontre des épiceries solidaires"}
    assert client.get("/reseau/agenda/themes/inconnu.ics").status_code == 404


def test_member_proposes_an_event_that_waits_for_moderation(client, login_as, make_user):
    login_as("learner")
    start = (utcnow() + timedelta(days=20)).strftime("%Y-%m-%dT18:00")
    end = (utcnow() + timedelta(days=20)).strftime("%Y-%m-%dT20:00")
    response = client.post("/reseau/agenda/proposer", data={
        "title": "Apéro des porteurs de projet", "description": "On parle *logistique*.",
        "start": start, "end": end, "tzid": "Europe/Paris", "mode": "in_person",
        "city": "Crest", "departement_code": "26",
    })
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.status == EventStatus.PENDING and event.uid.startswith("event-")
    assert event.start_dt.hour in (16, 17)  # 18:00 Paris in UTC
    client.post("/compte/deconnexion")
    assert "Apéro" not in client.get("/reseau/agenda").get_data(as_text=True)

    assert _search("apero porteurs") == []
    login_as("moderator")
    client.post(f"/reseau/agenda/{event.id}/statut", data={"status": "published"})
    assert "Apéro des porteurs" in client.get("/reseau/agenda").get_data(as_text=True)
    assert _search("apero porteurs") == [f"/reseau/agenda/{event.id}"]
    client.post(f"/reseau/agenda/{event.id}/statut", data={"status": "cancelled"})
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 1
    assert client.post(f"/reseau/agenda/{event.id}/statut", data={"status": "x"}).status_code == 400


def test_event_form_rejects_end_before_start(client, login_as):
    login_as("learner")
    response = client.post("/reseau/agenda/proposer", data={
        "title": "À l'envers", "start": "2027-03-01T18:00", "end": "2027-03-01T17:00",
        "tzid": "Europe/Paris", "mode": "online",
    })
    assert response.status_code == 200
    assert "La fin doit être après le début" in response.get_data(as_text=True)


def test_only_moderators_moderate(client, login_as, make_event):
    event = make_event(status=EventStatus.PENDING)
    login_as("learner")
    assert client.post(f"/reseau/agenda/{event.id}/statut",
                       data={"status": "published"}).status_code == 403
    assert client.get("/reseau/agenda/moderation").status_code == 403


def test_single_event_ics_for_published_events_only(client, make_event):
    published = make_event("Foire bio de Die", days=5)
    pending = make_event("En attente", days=6, status=EventStatus.PENDING)
    page = client.get(f"/reseau/agenda/{published.id}").get_data(as_text=True)
    assert f"/reseau/agenda/{published.id}.ics" in page
    response = client.get(f"/reseau/agenda/{published.id}.ics")
    assert response.mimetype == "text/calendar"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["UID"]) == published.uid and str(event["SUMMARY"]) == "Foire bio de Die"
    assert client.get(f"/reseau/agenda/{pending.id}.ics").status_code == 404
