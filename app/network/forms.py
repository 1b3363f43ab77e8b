"""Forms of the directory, agenda and exchange space."""

import ipaddress
import re
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.network import ics
from app.network.agenda_models import MODE_LABELS
from app.network.models import KIND_LABELS, VISIBILITY_LABELS, AddressPrecision
from app.network.visibility import ORGANISATION_FIELDS, PERSON_FIELDS

DEPARTEMENT = Regexp(
    r"^(\d{2}|2[AB]|97\d)?$", message=_l("Code de département INSEE (ex. 26, 2A, 974).")
)
COMMUNE = Regexp(r"^([0-9AB]{5})?$", message=_l("Code commune INSEE à 5 caractères (ex. 26113)."))
REGION = Regexp(r"^(\d{2})?$", message=_l("Code région INSEE à 2 chiffres (ex. 84)."))

FIELD_LABELS = {
    "headline": _l("Activité"),
    "bio": _l("Présentation"),
    "photo": _l("Photo"),
    "themes": _l("Thèmes"),
    "territory": _l("Territoire"),
    "affiliations": _l("Structures"),
    "links": _l("Liens"),
    "public_email": _l("Adresse e-mail de contact"),
    "summary": _l("Résumé"),
    "description": _l("Description"),
    "logo": _l("Logo"),
    "address": _l("Adresse"),
    "coordinates": _l("Position sur la carte"),
    "website": _l("Site web"),
    "ofn_url": _l("Boutique Open Food Network"),
    "social_links": _l("Réseaux sociaux"),
    "members": _l("Membres"),
    "public_phone": _l("Téléphone"),
    "contact_name": _l("Personne à contacter"),
    "siret": _l("SIRET"),
}

IMAGES = FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Image JPEG, PNG ou WebP uniquement."))


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _visibility_choices():
    return [(str(k), v) for k, v in VISIBILITY_LABELS.items()]


def parse_links(text: str) -> list[dict]:
    """Parse "Libellé | https://…" lines (or bare URLs) into [{"label", "url"}]."""
    links = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        label, _sep, url = line.rpartition("|")
        label, url = label.strip(), url.strip()
        if not re.match(r"^https?://[^\s<>\"]+$", url):
            raise ValidationError(_l("Chaque lien doit commencer par http:// ou https://."))
        links.append({"label": label or url, "url": url})
    return links


def format_links(links: list[dict], key: str = "label") -> str:
    return "\n".join(f"{link.get(key) or ''} | {link['url']}" for link in links or ())


class LinksField(TextAreaField):
    """Lines of "Libellé | https://…", stored as a list of dicts."""

    def __init__(self, *args, name_key="label", **kwargs):
        super().__init__(*args, **kwargs)
        self.name_key = name_key

    def _value(self):
        if isinstance(self.data, list):
            return format_links(self.data, self.name_key)
        return self.data or ""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = text  # shown back as typed if it does not parse
        try:
            links = parse_links(text)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        self.data = [{self.name_key: link["label"], "url": link["url"]} for link in links]


def _add_visibility_fields(cls, fields: dict):
    for name, default in fields.items():
        setattr(
            cls,
            f"vis_{name}",
            SelectField(
                FIELD_LABELS[name], choices=_visibility_choices(), default=str(default)
            ),
        )
    return cls


class PersonForm(FlaskForm):
    name = StringField(_l("Nom affiché"), validators=[DataRequired(), Length(max=160)])
    first_name = StringField(_l("Prénom"), validators=[Length(max=80)])
    family_name = StringField(_l("Nom de famille"), validators=[Length(max=80)])
    headline = StringField(
        _l("Activité"),
        validators=[Length(max=200)],
        description=_l("En une phrase : « maraîchère en AMAP », « coordinateur d'épicerie »…"),
    )
    bio = TextAreaField(
        _l("Présentation"), validators=[Length(max=10000)], description=_l("Markdown accepté.")
    )
    themes = MultiCheckboxField(_l("Peut témoigner sur…"), coerce=int)
    region_code = StringField(_l("Code région (INSEE)"), validators=[REGION])
    departement_code = StringField(_l("Département (code INSEE)"), validators=[DEPARTEMENT])
    commune_code = StringField(_l("Commune (code INSEE)"), validators=[COMMUNE])
    city = StringField(_l("Commune"), validators=[Length(max=120)])
    public_email = EmailField(
        _l("Adresse e-mail de contact"), validators=[Optional(), Email(), Length(max=254)]
    )
    links = LinksField(
        _l("Liens"), description=_l("Un lien par ligne : « Libellé | https://… ».")
    )
    photo = FileField(_l("Photo"), validators=[IMAGES])
    visibility = RadioField(
        _l("Qui peut voir ma fiche ?"), choices=_visibility_choices(), default="members"
    )
    consent = BooleanField(
        _l("J'accepte que ma fiche figure dans l'annuaire selon les réglages ci-dessus.")
    )
    dfc_opt_in = BooleanField(
        _l("J'accepte d'apparaître comme contact de mes structures dans l'export Data Food "
           "Consortium.")
    )


_add_visibility_fields(PersonForm, PERSON_FIELDS)


class OrganisationForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Type de structure"), choices=[(str(k), v) for k, v in KIND_LABELS.items()]
    )
    summary = StringField(_l("Résumé"), validators=[Length(max=300)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=_l("Markdown accepté.")
    )
    themes = MultiCheckboxField(_l("Thèmes"), coerce=int)
    street = StringField(_l("Adresse (rue)"), validators=[Length(max=200)])
    postcode = StringField(_l("Code postal"), validators=[Length(max=10)])
    city = StringField(_l("Commune"), validators=[Length(max=120)])
    region_code = StringField(_l("Code région (INSEE)"), validators=[REGION])
    departement_code = StringField(_l("Département (code INSEE)"), validators=[DEPARTEMENT])
    commune_code = StringField(_l("Commune (code INSEE)"), validators=[COMMUNE])
    address_precision = SelectField(
        _l("Précision de l'adresse publiée"),
        choices=[
            (str(AddressPrecision.COMMUNE), _l("Commune seulement")),
            (str(AddressPrecision.EXACT), _l("Adresse complète")),
            (str(AddressPrecision.HIDDEN), _l("Ne pas publier l'adresse")),
        ],
        default=str(AddressPrecision.COMMUNE),
    )
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    public_email = EmailField(
        _l("E-mail de contact"), validators=[Optional(), Email(), Length(max=254)]
    )
    public_phone = StringField(_l("Téléphone"), validators=[Length(max=40)])
    contact_name = StringField(_l("Personne à contacter"), validators=[Length(max=160)])
    website = URLField(_l("Site web"), validators=[Optional(), URL(), Length(max=500)])
    ofn_url = URLField(
        _l("Boutique Open Food Network (CoopCircuits)"),
        validators=[Optional(), URL(), Length(max=500)],
    )
    social_links = LinksField(
        _l("Réseaux sociaux"),
        name_key="name",
        description=_l("Un lien par ligne : « Facebook | https://… »."),
    )
    siret = StringField(
        _l("SIRET"), validators=[Optional(), Regexp(r"^\d{14}$", message=_l("14 chiffres."))]
    )
    logo = FileField(_l("Logo"), validators=[IMAGES])
    visibility = RadioField(
        _l("Qui peut voir la fiche ?"), choices=_visibility_choices(), default="public"
    )
    dfc_opt_in = BooleanField(
        _l("Publier cette fiche dans l'export Data Food Consortium (champs publics seulement).")
    )


_add_visibility_fields(OrganisationForm, ORGANISATION_FIELDS)


class DeleteAccountForm(FlaskForm):
    confirm_email = EmailField(
        _l("Pour confirmer, saisissez l'adresse e-mail de votre compte"),
        validators=[DataRequired(), Email()],
    )


class EventForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=250)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=_l("Markdown accepté.")
    )
    start = DateTimeLocalField(_l("Début"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    end = DateTimeLocalField(_l("Fin"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    tzid = SelectField(
        _l("Fuseau horaire"),
        choices=[
            ("Europe/Paris", "Europe/Paris"),
            ("America/Martinique", _l("Martinique, Guadeloupe")),
            ("America/Cayenne", _l("Guyane")),
            ("Indian/Reunion", _l("La Réunion")),
            ("Indian/Mayotte", _l("Mayotte")),
            ("Pacific/Noumea", _l("Nouvelle-Calédonie")),
        ],
        default="Europe/Paris",
    )
    mode = SelectField(_l("Format"), choices=[(str(k), v) for k, v in MODE_LABELS.items()])
    place = StringField(_l("Lieu"), validators=[Length(max=300)])
    city = StringField(_l("Commune"), validators=[Length(max=120)])
    departement_code = StringField(_l("Département (code INSEE)"), validators=[DEPARTEMENT])
    link = URLField(
        _l("Lien (inscription ou visio)"), validators=[Optional(), URL(), Length(max=1000)]
    )
    organiser_name = StringField(_l("Organisé par"), validators=[Length(max=200)])
    themes = MultiCheckboxField(_l("Thèmes"), coerce=int)

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("La fin doit être après le début."))


class FeedForm(FlaskForm):
    name = StringField(_l("Nom du calendrier"), validators=[DataRequired(), Length(max=200)])
    url = URLField(
        _l("Adresse du fichier .ics"), validators=[DataRequired(), URL(), Length(max=1000)]
    )
    auto_publish = BooleanField(_l("Publier sans modération"))

    def validate_url(self, field):
        """Refuse at once what the import would refuse: other schemes, internal IP addresses.

        Host names are resolved (and checked again) at each import, not here.
        """
        parts = urlsplit((field.data or "").strip())
        if parts.scheme.lower() not in ("http", "https"):
            raise ValidationError(_l("Indiquez une adresse http:// ou https://."))
        try:
            ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            return  # a name, checked when resolved
        try:
            ics.check_address(
                parts.hostname, allow_private=current_app.config["NETWORK_FEED_ALLOW_PRIVATE"]
            )
        except ics.FeedAddressError as exc:
            raise ValidationError(
                _l("Cette adresse est interne au réseau et ne peut pas être lue.")
            ) from exc


class ThreadForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(min=3, max=250)])
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l("Markdown accepté."),
    )
    theme = SelectField(_l("Catégorie"), coerce=int)


class PostForm(FlaskForm):
    body = TextAreaField(
        _l("Votre message"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l("Markdown accepté."),
    )
    reply_to = HiddenField()
    quote = HiddenField()


#: Why a post is reported: stored code, label.
REPORT_REASONS = [
    ("spam", _l("Spam ou publicité")),
    ("offensive", _l("Propos blessants")),
    ("incorrect", _l("Information erronée")),
    ("other", _l("Autre")),
]


class ReportForm(FlaskForm):
    reason = RadioField(_l("Motif"), choices=REPORT_REASONS, validators=[DataRequired()])
    details = TextAreaField(_l("Précisions"), validators=[Length(max=2000)])
