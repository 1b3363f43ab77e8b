"""The network demo loads realistic content and can be loaded twice."""

import sqlalchemy as sa

from app.demo import DemoContext
from app.demo import accounts as demo_accounts
from app.extensions import db
from app.network import demo
from app.network.agenda_models import Event
from app.network.exchange_models import Post, Thread
from app.network.models import Organisation, Person


def _load():
    ctx = DemoContext(log=lambda *a: None, with_media=False)
    demo_accounts.load(ctx)
    demo.load(ctx)
    db.session.commit()


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Person, Organisation, Event, Thread, Post))


def test_demo_is_idempotent_and_has_the_testimony_givers(client):
    _load()
    first = counts()
    _load()
    assert counts() == first
    assert first[0] >= 4 and first[1] >= 5 and first[2] >= 3 and first[3] == 1
    for n in (1, 2, 3):
        response = client.get(f"/reseau/personnes/temoin-tarification-{n}")
        assert response.status_code == 200
    kinds = {o.kind for o in db.session.scalars(sa.select(Organisation))}
    assert {"epicerie", "amap", "groupement_achat", "collectivite"} <= {str(k) for k in kinds}
    assert "Épicerie solidaire La Cagette" in client.get("/reseau/dfc.jsonld").get_data(
        as_text=True)
    page = client.get("/reseau/echanges").get_data(as_text=True)
    assert "trois niveaux de prix" in page
    assert "Rencontre régionale des épiceries solidaires" in client.get("/reseau/agenda").get_data(
        as_text=True)


def test_reindex_command_puts_the_demo_in_search(runner):
    from app.search.operations import search

    _load()
    result = runner.invoke(args=["network", "reindex"])
    assert result.exit_code == 0, result.output
    assert "profiles" in result.output
    urls = [hit.document.url for hit in search("Cagette").hits]
    assert "/reseau/structures/epicerie-solidaire-la-cagette" in urls
    assert any(u.startswith("/reseau/echanges/") for u in
               (hit.document.url for hit in search("stigmatiser").hits))
