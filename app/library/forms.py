"""Library forms: resource text (revisions), resource record, proposals, moderation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.library.models import AUDIENCES, KIND_LABELS, PROPOSAL_KIND_LABELS, Origin


def http_url(form, field):
    """Accept only http(s) links: javascript:, data: and friends are refused."""
    value = (field.data or "").strip()
    field.data = value or None
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValidationError(_l("Le lien doit commencer par http:// ou https://."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RevisionForm(FlaskForm):
    """The text of a resource: every save makes a revision."""

    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(
        _l("Résumé"),
        validators=[Length(max=1000)],
        description=_l("Deux ou trois phrases, affichées dans les listes et la recherche."),
    )
    body = TextAreaField(
        _l("Texte (Markdown)"),
        description=_l(
            "Titres avec ##, listes avec -, liens [texte](https://…), tableaux avec des |."
        ),
    )
    change_note = StringField(
        _l("Résumé de la modification"),
        validators=[Length(max=300)],
        description=_l("Ce que vous avez changé, pour les relecteur·rices."),
    )
    base_revision_id = HiddenField()


class NewResourceForm(RevisionForm):
    kind = SelectField(
        _l("Type de ressource"), choices=[(k.value, v) for k, v in KIND_LABELS.items()]
    )
    external_url = URLField(_l("Lien (ressource externe)"), validators=[Optional(), http_url])
    themes = MultiCheckboxField(_l("Thèmes"), coerce=int)


class RecordForm(FlaskForm):
    """What describes a resource (editors)."""

    slug = StringField(
        _l("Adresse (slug)"),
        validators=[DataRequired(), Length(max=160)],
        description=_l("Changer l'adresse garde l'ancienne en redirection."),
    )
    kind = SelectField(_l("Type"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    origin = SelectField(
        _l("Origine"),
        choices=[(Origin.INTERNAL.value, _l("Interne")), (Origin.EXTERNAL.value, _l("Externe"))],
    )
    external_url = URLField(_l("Lien externe"), validators=[Optional(), http_url])
    source_organisation = StringField(_l("Structure source"), validators=[Length(max=200)])
    licence = StringField(
        _l("Licence"), validators=[Length(max=80)], description=_l("Par exemple CC BY-SA 4.0.")
    )
    language = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])
    themes = MultiCheckboxField(_l("Thèmes"), coerce=int)
    audiences = MultiCheckboxField(_l("Publics"), choices=list(AUDIENCES.items()))
    territories = StringField(
        _l("Territoires"),
        validators=[Length(max=500)],
        description=_l("Séparés par des virgules, par exemple : National, Occitanie."),
    )
    reading_minutes = IntegerField(
        _l("Temps de lecture (minutes)"), validators=[Optional(), NumberRange(min=1, max=600)]
    )
    review_interval_days = IntegerField(
        _l("Relire tous les … jours"),
        validators=[Optional(), NumberRange(min=7, max=3650)],
        description=_l("Les éditeur·rices reçoivent un rappel quand la date est passée."),
    )
    cover = FileField(_l("Image de couverture (PNG, JPEG, GIF, WebP)"))
    document = FileField(_l("Document PDF"))


class AttachmentForm(FlaskForm):
    file = FileField(_l("Image ou PDF à insérer"), validators=[DataRequired()])


class ProposalForm(FlaskForm):
    """The short public form: title, link or file, why it helps (nothing more)."""

    kind = SelectField(
        _l("Vous proposez"), choices=[(k.value, v) for k, v in PROPOSAL_KIND_LABELS.items()]
    )
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    url = URLField(
        _l("Lien"),
        validators=[Optional(), http_url, Length(max=1000)],
        description=_l("Un lien ou un fichier PDF."),
    )
    file = FileField(_l("Fichier PDF"))
    why = TextAreaField(
        _l("Pourquoi c'est utile"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Une ou deux phrases suffisent."),
    )
    email = EmailField(
        _l("Votre adresse e-mail"),
        validators=[Optional(), Email(), Length(max=254)],
        description=_l("Pour vous tenir au courant de la suite ; jamais affichée."),
    )
    name = StringField(_l("Votre nom (facultatif)"), validators=[Length(max=120)])
    #: Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = StringField(_l("Ne pas remplir"))


class ReviseProposalForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    url = URLField(_l("Lien"), validators=[Optional(), http_url, Length(max=1000)])
    why = TextAreaField(_l("Pourquoi c'est utile"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(FlaskForm):
    message = TextAreaField(_l("Message à la personne"), validators=[Length(max=2000)])


class RejectRevisionForm(FlaskForm):
    message = TextAreaField(_l("Raison (envoyée à l'auteur·rice)"), validators=[Length(max=2000)])
