# ruff: noqa: E501 - the demo texts are Markdown, whose paragraphs and table rows are long lines
"""Demo library: real-sounding French guides, case studies and an external link (idempotent)."""

from datetime import timedelta

import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.library import operations
from app.library.models import Origin, Resource, ResourceKind

GUIDES = [
    {
        "slug": "choisir-un-statut-juridique-pour-une-epicerie-associative",
        "title": "Choisir un statut juridique pour une épicerie associative",
        "kind": ResourceKind.GUIDE,
        "themes": ["statut-juridique", "gouvernance"],
        "audiences": ["porteur-projet", "epicerie-hub"],
        "territories": ["National"],
        "summary": "Association, SCIC ou SAS coopérative : ce que chaque statut permet pour vendre, "
        "embaucher et associer les producteur·rices.",
        "body": """## Avant de choisir

Un statut se choisit à partir du projet, pas l'inverse. Posez-vous d'abord trois questions :

1. **Qui décide ?** Les bénévoles, les salarié·es, les producteur·rices, les collectivités ?
2. **Qui apporte l'argent ?** Adhésions, parts sociales, subventions, prêts ?
3. **Vendez-vous à des non-membres ?** C'est ce qui fait basculer vers une activité commerciale.

## Les trois statuts les plus courants

| Statut | Vente à tous publics | Gouvernance | Capital | Bon pour… |
|---|---|---|---|---|
| Association loi 1901 | Oui, avec fiscalité commerciale au-delà de la franchise | 1 membre = 1 voix | Non | Démarrer, tester, fonctionner avec des bénévoles |
| SCIC (SA, SAS ou SARL) | Oui | Collèges (consommateur·rices, producteur·rices, salarié·es, collectivités) | Oui, parts sociales | Associer toutes les parties prenantes |
| SAS coopérative ou classique | Oui | Selon les statuts | Oui | Un projet porté par quelques associé·es |

## L'association : démarrer vite

- Les statuts se déposent en ligne en quelques jours.
- Tant que les recettes commerciales restent accessoires et sous la franchise des impôts commerciaux, l'association reste non lucrative.
- Au-delà, prévoyez la TVA et l'impôt sur les sociétés : ce n'est pas un échec, c'est le signe que l'épicerie vit.

## La SCIC : quand le projet grandit

La SCIC permet aux producteur·rices, aux client·es et à la commune d'être associé·es dans la même structure. Elle demande plus de travail au départ (collèges, pacte d'associé·es) mais sécurise le projet sur la durée.

## Pour aller plus loin

- Demandez un rendez-vous à votre Dispositif local d'accompagnement (DLA).
- Lisez l'étude de cas *L'épicerie du Vallon* dans cette bibliothèque.
""",
    },
    {
        "slug": "organiser-la-logistique-d-un-groupement-d-achat",
        "title": "Organiser la logistique d'un groupement d'achat",
        "kind": ResourceKind.GUIDE,
        "themes": ["logistique", "evaluer-offre-demande"],
        "audiences": ["porteur-projet", "epicerie-hub", "producteur"],
        "territories": ["National"],
        "summary": "Commandes groupées, tournées, points de retrait et chaîne du froid : une méthode "
        "pas à pas pour un groupement de 20 à 200 foyers.",
        "body": """## Le cycle d'une commande

1. Ouverture des commandes (par exemple du jeudi au lundi midi).
2. Transmission des commandes consolidées aux producteur·rices.
3. Livraison au point de retrait ou tournée de collecte.
4. Répartition par foyer et distribution.

## Choisir entre collecte et livraison

| Organisation | Avantages | Limites |
|---|---|---|
| Les producteur·rices livrent | Simple pour le groupement | Beaucoup de kilomètres pour les fermes |
| Tournée de collecte mutualisée | Moins de trajets au total | Il faut un véhicule et un·e chauffeur·se |
| Plateforme d'un partenaire | Chaîne du froid assurée | Coût par colis |

## La chaîne du froid

- Les produits frais restent **sous 4 °C**, les surgelés sous −18 °C.
- Un thermomètre enregistreur dans la chambre froide ou les glacières évite les débats.
- Notez les températures à réception : c'est votre preuve en cas de contrôle.

## Les outils

Une boutique en ligne collective (par exemple sur Open Food Network / CoopCircuits) consolide les commandes par producteur et par foyer, et imprime les listes de répartition.
""",
    },
    {
        "slug": "mettre-en-place-une-tarification-sociale",
        "title": "Mettre en place une tarification sociale",
        "kind": ResourceKind.GUIDE,
        "themes": ["tarification-sociale", "gouvernance"],
        "audiences": ["epicerie-hub", "collectivite", "accompagnateur"],
        "territories": ["National"],
        "summary": "Prix différenciés, caisse de solidarité, paniers suspendus : comment rendre "
        "les produits locaux accessibles sans fragiliser les producteur·rices.",
        "body": """## Le principe

Le prix payé aux producteur·rices ne change pas : c'est la participation des client·es qui varie, et la différence est financée par une caisse de solidarité.

## Trois mécanismes qui ont fait leurs preuves

- **Le prix en trois niveaux** : solidaire (−30 %), juste, soutien (+20 %). Chacun·e choisit, sans justificatif.
- **Le quotient familial** : la réduction dépend des revenus, vérifiés une fois par an avec le CCAS.
- **Le panier suspendu** : un·e client·e paie un panier qui sera donné à un foyer orienté par un partenaire social.

## Équilibrer la caisse

| Ressource | Part typique |
|---|---|
| Contributions « soutien » des client·es | 30 à 50 % |
| Subvention de la commune ou du CCAS | 30 à 50 % |
| Fondations, mécénat | 10 à 20 % |

## Points de vigilance

- Ne pas stigmatiser : même caisse, même file, même sac pour tout le monde.
- Suivre chaque mois le solde de la caisse solidaire.
- Respecter les données personnelles : ne conservez que ce qui est nécessaire au calcul.
""",
    },
]

CASE_STUDIES = [
    {
        "slug": "l-epicerie-du-vallon-une-scic-en-milieu-rural",
        "title": "L'épicerie du Vallon : une SCIC en milieu rural",
        "kind": ResourceKind.CASE_STUDY,
        "themes": ["statut-juridique", "gouvernance"],
        "audiences": ["porteur-projet"],
        "territories": ["Auvergne-Rhône-Alpes"],
        "summary": "Partie d'une association de 40 bénévoles, l'épicerie est devenue une SCIC "
        "avec deux salariées et 18 fermes associées.",
        "body": """## En bref

- **Où :** un bourg de 1 200 habitant·es, à 25 km de la première grande surface.
- **Depuis :** 2019 (association), 2022 (SCIC).
- **Qui :** 320 sociétaires, 18 fermes, la commune.

## Ce qui a marché

La commune a prêté le local pour un loyer symbolique pendant trois ans. Le passage en SCIC a permis d'embaucher grâce aux parts sociales des habitant·es.

## Ce qu'elles referaient autrement

> « Nous aurions dû écrire le pacte d'associé·es avant d'ouvrir le capital. » — la coordinatrice
""",
    },
    {
        "slug": "la-tournee-mutualisee-des-fermes-du-plateau",
        "title": "La tournée mutualisée des fermes du plateau",
        "kind": ResourceKind.CASE_STUDY,
        "themes": ["logistique", "environnement"],
        "audiences": ["producteur"],
        "territories": ["Occitanie"],
        "summary": "Six fermes partagent un camion frigorifique et divisent par trois leurs "
        "kilomètres de livraison vers les épiceries de la ville.",
        "body": """## Le point de départ

Chaque ferme livrait seule ses trois épiceries clientes : 600 km par semaine au total.

## La solution

Un camion frigorifique acheté en CUMA, une tournée le mardi, un planning partagé en ligne.

| Avant | Après |
|---|---|
| 600 km par semaine | 190 km par semaine |
| 6 demi-journées de livraison | 1 journée de chauffeur·se salarié·e |
""",
    },
]

EXTERNAL = [
    {
        "slug": "guide-de-la-restauration-collective-en-circuits-courts",
        "title": "Guide de la restauration collective en circuits courts",
        "kind": ResourceKind.EXTERNAL_LINK,
        "origin": Origin.EXTERNAL,
        "external_url": "https://agriculture.gouv.fr/",
        "source_organisation": "Ministère de l'Agriculture",
        "licence": "Licence Ouverte 2.0",
        "themes": ["reglementation-sanitaire", "evaluer-offre-demande"],
        "audiences": ["collectivite"],
        "territories": ["National"],
        "summary": "Le guide national pour introduire des produits locaux dans les cantines : "
        "marchés publics, allotissement, hygiène.",
        "body": "Une ressource externe utile pour préparer un dialogue avec une collectivité : "
        "elle rappelle les règles des marchés publics et de l'hygiène en restauration collective.",
    },
]


def load(ctx) -> None:
    """Seed the themes and publish the demo resources that are missing."""
    themes = {t.slug: t for t in operations.seed_themes()}
    editor = ctx.users.get("moderator") or ctx.users.get("admin")
    author = ctx.users.get("contributor") or editor
    created = 0
    for age, spec in enumerate(GUIDES + CASE_STUDIES + EXTERNAL):
        exists = db.session.execute(sa.select(Resource.id).filter_by(slug=spec["slug"])).scalar()
        if exists:
            continue
        resource = operations.create_resource(
            author=author,
            title=spec["title"],
            kind=spec["kind"],
            summary=spec["summary"],
            body=spec["body"],
            origin=spec.get("origin", Origin.INTERNAL),
            external_url=spec.get("external_url"),
            source_organisation=spec.get("source_organisation", "Open Food France"),
            licence=spec.get("licence", "CC BY-SA 4.0"),
            theme_ids=[themes[s].id for s in spec["themes"]],
            audiences=spec["audiences"],
            territories=spec["territories"],
        )
        resource.slug = spec["slug"]
        db.session.flush()
        operations.publish_revision(resource.revisions[0], editor)
        # Spread publication dates so feeds and lists look lived-in.
        resource.published_dt = utcnow() - timedelta(days=7 * (len(GUIDES) + 3 - age))
        operations.index_resource(resource)
        created += 1
    db.session.flush()
    ctx.log(f"library: {created} resource(s) created, {len(themes)} themes")
