"""Directory of people and organisations (se mettre en réseau).

The agenda and the exchange space keep their tables in agenda_models.py and exchange_models.py.
Themes are the library's shared ``Theme`` (table ``themes``).
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.extensions import db
from app.library.models import Theme


class Visibility(enum.StrEnum):
    """Who may see a profile or one of its fields."""

    PUBLIC = "public"
    MEMBERS = "members"
    HIDDEN = "hidden"


class OrganisationKind(enum.StrEnum):
    PRODUCTEUR = "producteur"
    EPICERIE = "epicerie"  # épicerie, hub, boutique multi-producteurs
    AMAP = "amap"
    GROUPEMENT_ACHAT = "groupement_achat"
    MAGASIN_PRODUCTEURS = "magasin_producteurs"
    COLLECTIVITE = "collectivite"
    RESEAU = "reseau"
    ACCOMPAGNATEUR = "accompagnateur"
    AUTRE = "autre"


#: Labels of organisation kinds, for filters and badges.
KIND_LABELS = {
    OrganisationKind.PRODUCTEUR: _l("Producteur·rice"),
    OrganisationKind.EPICERIE: _l("Épicerie / hub"),
    OrganisationKind.AMAP: _l("AMAP"),
    OrganisationKind.GROUPEMENT_ACHAT: _l("Groupement d'achat"),
    OrganisationKind.MAGASIN_PRODUCTEURS: _l("Magasin de producteurs"),
    OrganisationKind.COLLECTIVITE: _l("Collectivité"),
    OrganisationKind.RESEAU: _l("Réseau"),
    OrganisationKind.ACCOMPAGNATEUR: _l("Accompagnateur·rice"),
    OrganisationKind.AUTRE: _l("Autre"),
}

VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Tout le monde"),
    Visibility.MEMBERS: _l("Membres connectés"),
    Visibility.HIDDEN: _l("Personne (masqué)"),
}


class AddressPrecision(enum.StrEnum):
    """How precisely the address is published (commune level by default, for privacy)."""

    EXACT = "exact"
    COMMUNE = "commune"
    HIDDEN = "hidden"


person_themes = sa.Table(
    "directory_person_themes",
    db.metadata,
    sa.Column(
        "person_id", sa.ForeignKey("directory_people.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

organisation_themes = sa.Table(
    "directory_organisation_themes",
    db.metadata,
    sa.Column(
        "organisation_id",
        sa.ForeignKey("directory_organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Person(db.Model):
    """A person of the directory; speakers and testimony givers may have no account."""

    __tablename__ = "directory_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, unique and stable (other features look people up by slug).
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: Name shown on the page ("Camille Martin").
    name: Mapped[str] = mapped_column(sa.String(160))
    #: Given and family names, used by exports (DFC main contact); optional.
    first_name: Mapped[str] = mapped_column(sa.String(80), default="")
    family_name: Mapped[str] = mapped_column(sa.String(80), default="")
    #: Short presentation, Markdown (sanitised when rendered).
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    #: The account this profile belongs to, if any; one profile per account.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    #: Who sees the profile at all; people are visible to members only by default.
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.MEMBERS)
    #: Per-field visibility, {"field": "public"|"members"|"hidden"}; missing fields follow
    #: FIELD_DEFAULTS in app.network.visibility.
    field_visibility: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Public contact e-mail, distinct from the login address.
    public_email: Mapped[str] = mapped_column(sa.String(254), default="")
    #: Job or role in a sentence ("maraîchère", "coordinatrice d'une épicerie solidaire").
    headline: Mapped[str] = mapped_column(sa.String(200), default="")
    #: INSEE codes of the territory (région, département, commune), each optional.
    region_code: Mapped[str] = mapped_column(sa.String(3), default="")
    departement_code: Mapped[str] = mapped_column(sa.String(3), default="", index=True)
    commune_code: Mapped[str] = mapped_column(sa.String(5), default="")
    #: Commune name as shown ("Die", "Lyon 7e").
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Links, [{"label": "...", "url": "https://..."}].
    links: Mapped[list] = mapped_column(sa.JSON, default=list)
    photo_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: When the person agreed to appear in the directory; None = not listed publicly.
    consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person agreed to be exported as a DFC main contact of their organisations.
    dfc_opt_in: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User")
    photo = relationship("StoredFile")
    #: Themes of expertise: "peut témoigner sur…".
    themes: Mapped[list[Theme]] = relationship(secondary=person_themes, order_by=Theme.position)
    affiliations: Mapped[list["Affiliation"]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.slug}>"


class Organisation(db.Model):
    """A structure of the short food supply chain ecosystem."""

    __tablename__ = "directory_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        str_enum(OrganisationKind, 24), default=OrganisationKind.AUTRE, index=True
    )
    #: One sentence shown in lists.
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Longer presentation, Markdown.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    logo_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL")
    )
    #: INSEE codes: région (2 digits), département (2–3 chars), commune (5 chars).
    region_code: Mapped[str] = mapped_column(sa.String(3), default="")
    departement_code: Mapped[str] = mapped_column(sa.String(3), default="", index=True)
    commune_code: Mapped[str] = mapped_column(sa.String(5), default="")
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    #: ISO 3166-1 alpha-3 country, for DFC hasCountry.
    country_iso: Mapped[str] = mapped_column(sa.String(3), default="FRA")
    address_precision: Mapped[AddressPrecision] = mapped_column(
        str_enum(AddressPrecision), default=AddressPrecision.COMMUNE
    )
    #: WGS 84 coordinates for the map; None keeps the organisation off the map.
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    #: Public contacts, shown and exported only when their field is public.
    public_email: Mapped[str] = mapped_column(sa.String(254), default="")
    public_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(160), default="")
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Shop on Open Food Network (CoopCircuits in France): link to it, never duplicate it.
    ofn_url: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Social networks, [{"name": "Facebook", "url": "https://..."}].
    social_links: Mapped[list] = mapped_column(sa.JSON, default=list)
    siret: Mapped[str] = mapped_column(sa.String(14), default="")
    #: Who sees the profile at all; organisations are public by default.
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PUBLIC)
    #: Per-field visibility, as on Person.
    field_visibility: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: The organisation agreed to appear in the Data Food Consortium export.
    dfc_opt_in: Mapped[bool] = mapped_column(default=False)
    #: When the organisation agreed to be listed.
    consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    logo = relationship("StoredFile")
    themes: Mapped[list[Theme]] = relationship(
        secondary=organisation_themes, order_by=Theme.position
    )
    affiliations: Mapped[list["Affiliation"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.slug}>"


class Affiliation(db.Model):
    """A person's link to an organisation (member, founder, coordinator…)."""

    __tablename__ = "directory_affiliations"
    __table_args__ = (sa.UniqueConstraint("person_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("directory_people.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("directory_organisations.id", ondelete="CASCADE"), index=True
    )
    #: Role in words ("cofondatrice", "salarié", "bénévole").
    role_label: Mapped[str] = mapped_column(sa.String(120), default="")
    #: The organisation's main contact (exported to DFC only if the person opted in).
    is_main_contact: Mapped[bool] = mapped_column(default=False)
    since: Mapped[date | None] = mapped_column(sa.Date)
    until: Mapped[date | None] = mapped_column(sa.Date)

    person: Mapped[Person] = relationship(back_populates="affiliations")
    organisation: Mapped[Organisation] = relationship(back_populates="affiliations")
