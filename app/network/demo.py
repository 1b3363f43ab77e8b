"""Demo directory, agenda and discussion (idempotent: everything is looked up before creation).

The three testimony givers of the "Tarification sociale" series have fixed slugs
(``temoin-tarification-1`` … ``-3``) so the courses demo can attach them to its sessions.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.library.models import Theme
from app.network import exchange, operations
from app.network.agenda_models import Event, EventMode, EventStatus
from app.network.exchange_models import Post, PostStatus, Thread
from app.network.models import (
    AddressPrecision,
    Affiliation,
    Organisation,
    OrganisationKind,
    Person,
    Visibility,
)

ORGANISATIONS = (
    {
        "slug": "epicerie-solidaire-la-cagette", "name": "Épicerie solidaire La Cagette",
        "kind": OrganisationKind.EPICERIE,
        "summary": "Épicerie associative à trois niveaux de prix, ouverte à tous les habitants.",
        "description": "Créée en 2019 par des habitants et des producteurs du Crestois, "
        "La Cagette propose des produits locaux à **trois niveaux de prix** (solidaire, juste, "
        "soutien) selon le quotient familial, sans carte ni justificatif au comptoir.",
        "street": "12 rue de la Tour", "postcode": "26400", "city": "Crest",
        "commune_code": "26108", "departement_code": "26", "region_code": "84",
        "lat": 44.7285, "lon": 5.0226, "address_precision": AddressPrecision.EXACT,
        "public_email": "bonjour@lacagette-crest.example.org", "public_phone": "04 75 25 00 01",
        "website": "https://lacagette-crest.example.org",
        "ofn_url": "https://www.coopcircuits.fr/la-cagette-crest/shop",
        "social_links": [{"name": "Facebook", "url": "https://www.facebook.com/lacagettecrest"}],
        "themes": ("tarification-sociale", "gouvernance"), "dfc_opt_in": True,
        "field_visibility": {"public_email": "public", "public_phone": "public"},
    },
    {
        "slug": "amap-du-diois", "name": "AMAP du Diois", "kind": OrganisationKind.AMAP,
        "summary": "80 familles, 12 fermes partenaires, distribution chaque jeudi à Die.",
        "postcode": "26150", "city": "Die", "commune_code": "26113", "departement_code": "26",
        "region_code": "84", "lat": 44.7537, "lon": 5.3704,
        "public_email": "contact@amap-diois.example.org",
        "themes": ("logistique", "gouvernance"), "dfc_opt_in": True,
        "field_visibility": {"public_email": "public"},
    },
    {
        "slug": "groupement-achat-croix-rousse", "name": "Groupement d'achat de la Croix-Rousse",
        "kind": OrganisationKind.GROUPEMENT_ACHAT,
        "summary": "Commandes groupées mensuelles auprès de 25 producteurs de la région.",
        "postcode": "69004", "city": "Lyon", "commune_code": "69384", "departement_code": "69",
        "region_code": "84", "lat": 45.7745, "lon": 4.8313,
        "ofn_url": "https://www.coopcircuits.fr/gac-croix-rousse/shop",
        "themes": ("logistique", "outils-numeriques-de-vente", "tarification-sociale"),
        "dfc_opt_in": True,
    },
    {
        "slug": "cc-val-de-drome", "name": "Communauté de communes du Val de Drôme",
        "kind": OrganisationKind.COLLECTIVITE,
        "summary": "Porte le projet alimentaire territorial (PAT) de la Biovallée.",
        "postcode": "26400", "city": "Eurre", "commune_code": "26124", "departement_code": "26",
        "region_code": "84", "lat": 44.7603, "lon": 4.9908,
        "website": "https://www.val-de-drome.example.org",
        "themes": ("evaluer-offre-demande", "tarification-sociale"), "dfc_opt_in": False,
    },
    {
        "slug": "open-food-france", "name": "Open Food France", "kind": OrganisationKind.RESEAU,
        "summary": "Association qui outille les circuits courts : CoopCircuits, formations, "
        "accompagnement téléphonique des porteurs de projet.",
        "website": "https://openfoodfrance.org", "ofn_url": "https://www.coopcircuits.fr",
        "themes": ("outils-numeriques-de-vente",), "dfc_opt_in": True,
    },
)

PEOPLE = (
    {
        "slug": "temoin-tarification-1", "name": "Nadia Benali", "first_name": "Nadia",
        "family_name": "Benali", "headline": "Coordinatrice de l'épicerie solidaire La Cagette",
        "bio": "Ancienne travailleuse sociale, Nadia a monté le système à trois prix de "
        "La Cagette avec le CCAS de Crest. Elle témoigne des erreurs à éviter.",
        "city": "Crest", "departement_code": "26", "themes": ("tarification-sociale",),
        "organisation": ("epicerie-solidaire-la-cagette", "coordinatrice", True),
        "dfc_opt_in": True,
    },
    {
        "slug": "temoin-tarification-2", "name": "Thomas Girard", "first_name": "Thomas",
        "family_name": "Girard", "headline": "Trésorier bénévole d'un groupement d'achat",
        "bio": "Thomas a mis en place une caisse de solidarité alimentée par un prix "
        "« soutien » facultatif : 15 % des familles en bénéficient.",
        "city": "Lyon", "departement_code": "69",
        "themes": ("tarification-sociale", "logistique"),
        "organisation": ("groupement-achat-croix-rousse", "trésorier", False),
    },
    {
        "slug": "temoin-tarification-3", "name": "Claire Dumont", "first_name": "Claire",
        "family_name": "Dumont", "headline": "Chargée de mission alimentation (PAT)",
        "bio": "Claire coordonne les chèques alimentaires locaux de la communauté de communes "
        "et leur acceptation par les épiceries et les AMAP du territoire.",
        "city": "Eurre", "departement_code": "26",
        "themes": ("tarification-sociale", "evaluer-offre-demande"),
        "organisation": ("cc-val-de-drome", "chargée de mission", False),
    },
    {
        "slug": "julien-morel", "name": "Julien Morel", "first_name": "Julien",
        "family_name": "Morel", "headline": "Maraîcher, producteur partenaire de l'AMAP",
        "city": "Die", "departement_code": "26", "themes": ("logistique",),
        "organisation": ("amap-du-diois", "producteur partenaire", True),
    },
)

EVENTS = (
    {
        "uid": "demo-rencontre-epiceries@circuits-courts.openfoodfrance.fr",
        "title": "Rencontre régionale des épiceries solidaires",
        "description": "Une journée pour comparer nos grilles de prix, nos partenariats avec "
        "les CCAS et nos outils de caisse. Repas partagé le midi.",
        "days": 12, "hour": 9, "hours": 7, "mode": EventMode.HYBRID,
        "place": "Salle Mistral, 4 avenue Victor-Hugo", "city": "Valence",
        "departement_code": "26", "organisation": "epicerie-solidaire-la-cagette",
        "link": "https://rencontre-epiceries.example.org/inscription",
        "themes": ("tarification-sociale",),
    },
    {
        "uid": "demo-visite-amap@circuits-courts.openfoodfrance.fr",
        "title": "Visite : la logistique d'une distribution d'AMAP",
        "description": "Comment 80 paniers sont préparés et distribués en deux heures.",
        "days": 20, "hour": 17, "hours": 2, "mode": EventMode.IN_PERSON,
        "place": "Halle de Die", "city": "Die", "departement_code": "26",
        "organisation": "amap-du-diois", "themes": ("logistique",),
    },
    {
        "uid": "demo-webinaire-vente@circuits-courts.openfoodfrance.fr",
        "title": "Webinaire : choisir son outil de vente en ligne",
        "description": "Tour d'horizon des outils (CoopCircuits, Cagette, Socleo…) et de "
        "leurs coûts réels.",
        "days": 27, "hour": 12, "hours": 1, "mode": EventMode.ONLINE,
        "organisation": "open-food-france", "link": "https://visio.openfoodfrance.example.org",
        "themes": ("outils-numeriques-de-vente",),
    },
    {
        "uid": "demo-marche-producteurs@circuits-courts.openfoodfrance.fr",
        "title": "Marché de producteurs et épiceries du Diois",
        "description": "Proposé par un membre, en attente de modération.",
        "days": 34, "hour": 9, "hours": 4, "mode": EventMode.IN_PERSON, "city": "Die",
        "departement_code": "26", "status": EventStatus.PENDING, "themes": ("logistique",),
    },
)


def _themes(slugs) -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).where(Theme.slug.in_(slugs))))


def _ensure_themes() -> None:
    try:
        from app.library.operations import seed_themes
    except ImportError:  # the library feature is absent: create the two themes we rely on
        for slug, name in (("tarification-sociale", "Tarification sociale"),
                           ("logistique", "Logistique")):
            if db.session.scalar(sa.select(Theme.id).where(Theme.slug == slug)) is None:
                db.session.add(Theme(slug=slug, name=name))
        db.session.flush()
        return
    seed_themes()


def load(ctx) -> None:
    _ensure_themes()
    consent = utcnow()
    orgs = {}
    for spec in ORGANISATIONS:
        spec = dict(spec)
        org = operations.get_organisation(spec["slug"])
        if org is None:
            themes = _themes(spec.pop("themes"))
            org = Organisation(visibility=Visibility.PUBLIC, consent_dt=consent, **{
                k: v for k, v in spec.items()
            })
            org.themes = themes
            db.session.add(org)
            db.session.flush()
            ctx.log(f"  organisation {org.name}")
        orgs[org.slug] = org
    for spec in PEOPLE:
        spec = dict(spec)
        person = operations.get_person(spec["slug"])
        if person is None:
            org_slug, role, main = spec.pop("organisation")
            themes = _themes(spec.pop("themes"))
            person = Person(visibility=Visibility.PUBLIC, consent_dt=consent,
                            field_visibility={}, **spec)
            person.themes = themes
            db.session.add(person)
            db.session.flush()
            db.session.add(Affiliation(person=person, organisation=orgs[org_slug],
                                       role_label=role, is_main_contact=main))
            ctx.log(f"  person {person.name} ({person.slug})")
    _member_profile(ctx)
    db.session.flush()
    operations.reindex_directory()
    _events(ctx, orgs)
    _discussion(ctx)


def _member_profile(ctx) -> None:
    user = ctx.users.get("contributor")
    if user is None or operations.get_person_for_user(user) is not None:
        return
    person = Person(slug=operations.unique_slug(Person, user.name), name=user.name,
                    user_id=user.id, headline="Porteuse d'un projet d'épicerie itinérante",
                    city="Nyons", departement_code="26", field_visibility={},
                    visibility=Visibility.MEMBERS)
    person.themes = _themes(("logistique", "statut-juridique"))
    db.session.add(person)


def _events(ctx, orgs) -> None:
    today = utcnow().replace(minute=0, second=0, microsecond=0)
    for spec in EVENTS:
        if db.session.scalar(sa.select(Event.id).where(Event.uid == spec["uid"])) is not None:
            continue
        start = (today + timedelta(days=spec["days"])).replace(hour=spec["hour"] - 1)
        event = Event(
            uid=spec["uid"], title=spec["title"], description=spec["description"],
            start_dt=start, end_dt=start + timedelta(hours=spec["hours"]), mode=spec["mode"],
            place=spec.get("place", ""), city=spec.get("city", ""),
            departement_code=spec.get("departement_code", ""), link=spec.get("link", ""),
            status=spec.get("status", EventStatus.PUBLISHED),
            organisation=orgs.get(spec.get("organisation")),
            created_by_id=ctx.users["moderator"].id if "moderator" in ctx.users else None,
        )
        event.themes = _themes(spec["themes"])
        db.session.add(event)
        ctx.log(f"  event {event.title}")
    db.session.flush()


THREAD_TITLE = "Comment présenter trois niveaux de prix sans stigmatiser ?"


def _discussion(ctx) -> None:
    if db.session.scalar(sa.select(Thread.id).where(Thread.title == THREAD_TITLE)) is not None:
        return
    starter = ctx.users.get("contributor")
    expert = ctx.users.get("animator")
    if starter is None or expert is None:
        return
    theme = db.session.scalar(sa.select(Theme).where(Theme.slug == "tarification-sociale"))
    first = exchange.create_thread(
        starter, THREAD_TITLE,
        "Nous ouvrons une épicerie en mars. Nous voulons des prix différenciés, mais "
        "j'ai peur que les clients au tarif solidaire se sentent *montrés du doigt*.\n\n"
        "Comment faites-vous au moment de passer en caisse ?",
        theme,
    )
    if first.status == PostStatus.PENDING:
        first.status = PostStatus.VISIBLE  # demo content is shown as already approved
    answer = exchange.add_post(
        first.thread, expert,
        "À La Cagette, chacun choisit son prix **sans justificatif** : les trois prix sont "
        "affichés sur chaque étiquette et la caisse ne demande rien. Nadia en parle dans la "
        "session 1 du cycle « Tarification sociale ».",
        quote=first,
    )
    exchange.add_post(
        first.thread, starter, "Merci ! Et pour l'équilibre financier, vous suivez quoi ?",
        reply_to=answer,
    )
    for post in db.session.scalars(sa.select(Post).where(Post.thread_id == first.thread_id)):
        post.status = PostStatus.VISIBLE
    ctx.log(f"  discussion « {THREAD_TITLE} »")
