"""Forms of the podcast back office."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp

from feeds.apple_categories import APPLE_CATEGORIES

CATEGORY_CHOICES = [
    (f"{cat}|{sub}", f"{cat} › {sub}") for cat, subs in APPLE_CATEGORIES.items() for sub in subs
] + [(f"{cat}|", cat) for cat, subs in APPLE_CATEGORIES.items() if not subs]
CATEGORY_CHOICES.sort(key=lambda c: c[1])

VISIBILITY_CHOICES = [
    ("public", _l("Publique : tout le monde, flux listé dans les annuaires")),
    ("registered", _l("Inscrits : toute personne ayant un compte, flux privé")),
    ("members", _l("Membres : contributeurs et équipe, flux privé")),
]
KIND_CHOICES = [
    ("standalone", _l("Émission (portraits, témoignages…)")),
    ("course", _l("Formation publiée en podcast")),
    ("guides", _l("Guides audio (voix de synthèse)")),
]
EPISODE_TYPES = [("full", _l("Épisode")), ("trailer", _l("Bande-annonce")), ("bonus", _l("Bonus"))]
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp"]
JINGLE_TYPES = ["mp3", "wav", "m4a", "aac", "ogg", "oga", "opus", "flac"]
JINGLE_CHOICES = [
    ("none", _l("Aucun")),
    ("chime", _l("Le carillon de la plateforme")),
    ("file", _l("Le fichier envoyé pour cette émission")),
]


def _jingle_fields(place_label, upload_label):
    choice = SelectField(place_label, choices=JINGLE_CHOICES, default="none")
    upload = FileField(
        upload_label,
        validators=[FileAllowed(JINGLE_TYPES, _l("Fichier audio MP3, WAV, M4A, OGG ou FLAC."))],
        description=_l("30 secondes au plus ; remplace le choix ci-dessus."),
    )
    return choice, upload


class ShowForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=255)])
    slug = StringField(
        _l("Adresse"),
        validators=[
            Optional(),
            Length(max=100),
            Regexp(
                r"^[a-z0-9-]+$", message=_l("Lettres minuscules, chiffres et tirets seulement.")
            ),
        ],
        description=_l("Utilisée dans l'adresse de la page et du flux ; ne change plus ensuite."),
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=_l("Markdown accepté.")
    )
    author = StringField(
        _l("Auteur ou autrice"),
        validators=[DataRequired(), Length(max=255)],
        default="Open Food France",
    )
    language = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])
    category = SelectField(
        _l("Catégorie Apple Podcasts"), choices=CATEGORY_CHOICES, default="Arts|Food"
    )
    kind = SelectField(_l("Type d'émission"), choices=KIND_CHOICES)
    show_type = SelectField(
        _l("Ordre des épisodes"),
        choices=[
            ("episodic", _l("Épisodique : du plus récent au plus ancien")),
            ("serial", _l("En série : dans l'ordre, du premier au dernier")),
        ],
    )
    visibility = SelectField(_l("Visibilité"), choices=VISIBILITY_CHOICES)
    explicit = BooleanField(_l("Contenu explicite"))
    locked = BooleanField(
        _l("Interdire l'import de ce flux par d'autres plateformes"), default=True
    )
    owner_email = EmailField(
        _l("E-mail du propriétaire (facultatif)"),
        validators=[Optional(), Email()],
        description=_l("Publié dans le flux public : laissez vide pour éviter le spam."),
    )
    host = StringField(_l("Animateur ou animatrice"), validators=[Optional(), Length(max=128)])
    cover = FileField(
        _l("Image de couverture"),
        validators=[FileAllowed(IMAGE_TYPES, _l("Image JPEG, PNG ou WebP."))],
        description=_l("Recadrée en carré de 1400 à 3000 pixels."),
    )
    jingle_intro, jingle_intro_file = _jingle_fields(
        _l("Jingle d'ouverture"), _l("Envoyer un jingle d'ouverture")
    )
    jingle_outro, jingle_outro_file = _jingle_fields(
        _l("Jingle de fin"), _l("Envoyer un jingle de fin")
    )


class EpisodeForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=255)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=_l("Markdown accepté.")
    )
    asset_id = SelectField(
        _l("Enregistrement audio"),
        coerce=int,
        description=_l("Seuls les enregistrements prêts apparaissent."),
    )
    pub_dt = DateTimeLocalField(
        _l("Date de publication (heure de Paris)"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description=_l("Laisser vide pour garder un brouillon."),
    )
    season = IntegerField(_l("Saison"), validators=[Optional(), NumberRange(min=1)])
    number = IntegerField(_l("Numéro"), validators=[Optional(), NumberRange(min=1)])
    episode_type = SelectField(_l("Type"), choices=EPISODE_TYPES)
    speakers = StringField(
        _l("Intervenants (séparés par des virgules)"), validators=[Optional(), Length(max=1000)]
    )
    synthetic_voice = BooleanField(_l("Voix de synthèse"))


class ImportForm(FlaskForm):
    url = URLField(_l("Adresse du flux RSS"), validators=[Optional(), URL(require_tld=False)])
    file = FileField(
        _l("…ou fichier RSS"), validators=[FileAllowed(["xml", "rss"], _l("Fichier XML."))]
    )
    slug = StringField(
        _l("Adresse de l'émission"),
        validators=[Optional(), Length(max=100), Regexp(r"^[a-z0-9-]+$")],
    )
    run_pipeline = BooleanField(
        _l("Faire passer le son par la chaîne de traitement (volume normalisé, chapitres)"),
        default=True,
        description=_l("Sinon les fichiers d'origine sont publiés tels quels."),
    )
    confirm_locked = BooleanField(
        _l("Je suis propriétaire de ce podcast et j'autorise son import malgré podcast:locked")
    )
