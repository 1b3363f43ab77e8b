"""Forms of the course pages and back office (Flask-WTF, French messages)."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from app.courses.models import (
    AUDIENCES,
    DEFAULT_TIMEZONE,
    LEVEL_LABELS,
    MATERIAL_KIND_LABELS,
    MODE_LABELS,
    SPEAKER_ROLE_LABELS,
    ReplayAccess,
    SessionStatus,
)

#: Time zones offered for sessions (metropolitan France first, then overseas).
TIMEZONES = (
    "Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
    "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "UTC",
)  # fmt: skip


def http_url(form, field):
    """Accept only absolute http(s) links (no javascript:, ftp:, file:…)."""
    if not field.data:
        return
    parts = urlsplit(field.data.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(_l("Saisissez une adresse commençant par http:// ou https://."))


def to_utc(local: datetime, tzname: str) -> datetime:
    """Read a wall-clock time in a time zone and return it in UTC."""
    return local.replace(tzinfo=ZoneInfo(tzname)).astimezone(UTC)


class CourseForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(
        _l("Résumé"),
        validators=[Optional(), Length(max=500)],
        description=_l("Une ou deux phrases pour le catalogue."),
    )
    description = TextAreaField(
        _l("Présentation"), validators=[Optional()], description=_l("Markdown accepté.")
    )
    themes = SelectMultipleField(_l("Thèmes"), coerce=int, validators=[Optional()])
    audiences = SelectMultipleField(
        _l("Publics"), choices=[(k, v) for k, v in AUDIENCES.items()], validators=[Optional()]
    )
    level = SelectField(_l("Niveau"), choices=[(k.value, v) for k, v in LEVEL_LABELS.items()])
    organiser_organisation_id = SelectField(
        _l("Structure organisatrice"), coerce=int, validators=[Optional()]
    )
    organiser_person_id = SelectField(_l("Personne référente"), coerce=int, validators=[Optional()])
    is_external = BooleanField(_l("Formation d'un partenaire (inscription sur son site)"))
    provider = StringField(_l("Partenaire"), validators=[Optional(), Length(max=200)])
    external_url = URLField(
        _l("Lien vers la formation du partenaire"),
        validators=[Optional(), URL(require_tld=False), http_url, Length(max=1000)],
    )
    capacity = IntegerField(
        _l("Nombre de places"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Laisser vide pour ne pas limiter. Au-delà, liste d'attente automatique."),
    )
    registration_opens = DateTimeLocalField(
        _l("Ouverture des inscriptions (heure de Paris)"), validators=[Optional()]
    )
    replay_access = SelectField(
        _l("Qui peut voir les replays"),
        choices=[
            (ReplayAccess.PUBLIC.value, _l("Tout le monde")),
            (ReplayAccess.MEMBERS.value, _l("Les personnes connectées")),
            (ReplayAccess.REGISTERED.value, _l("Les inscrit·es à la formation")),
        ],
    )
    cover = FileField(
        _l("Image de couverture"),
        validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Image JPEG, PNG ou WebP."))],
    )

    def validate_external_url(self, field):
        if self.is_external.data and not field.data:
            raise ValidationError(_l("Indiquez le lien de la formation du partenaire."))

    def course_fields(self) -> dict:
        opens = self.registration_opens.data
        return {
            "title": self.title.data,
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "audiences": list(self.audiences.data or []),
            "level": self.level.data,
            "organiser_organisation_id": self.organiser_organisation_id.data or None,
            "organiser_person_id": self.organiser_person_id.data or None,
            "is_external": bool(self.is_external.data),
            "provider": self.provider.data or "",
            "external_url": self.external_url.data or None,
            "capacity": self.capacity.data,
            "registration_opens_dt": to_utc(opens, DEFAULT_TIMEZONE) if opens else None,
            "replay_access": self.replay_access.data,
        }


_OUTLINE_LINE = re.compile(r"^\s*(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\s*[-–—]?\s*(.+?)\s*$")


def parse_outline(text: str) -> list[list]:
    """Parse "0:00 Accueil" / "1:05:30 Questions" lines into [[seconds, title], …]."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _OUTLINE_LINE.match(line)
        if not match:
            raise ValueError(number)
        hours, minutes, seconds, title = match.groups()
        if int(seconds) >= 60 or (hours and int(minutes) >= 60):
            raise ValueError(number)
        items.append([int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds), title])
    return sorted(items)


def format_outline(outline) -> str:
    lines = []
    for seconds, title in outline or []:
        seconds = int(seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        stamp = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
        lines.append(f"{stamp} {title}")
    return "\n".join(lines)


class SessionForm(FlaskForm):
    position = IntegerField(
        _l("Numéro dans la série"), validators=[Optional(), NumberRange(1, 999)]
    )
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), description=_l("Markdown accepté."))
    start = DateTimeLocalField(_l("Début"), validators=[DataRequired()])
    end = DateTimeLocalField(_l("Fin"), validators=[DataRequired()])
    timezone = SelectField(
        _l("Fuseau horaire"), choices=[(z, z) for z in TIMEZONES], default=DEFAULT_TIMEZONE
    )
    mode = SelectField(_l("Format"), choices=[(k.value, v) for k, v in MODE_LABELS.items()])
    live_url = URLField(
        _l("Lien de la salle en ligne"),
        validators=[Optional(), http_url, URL(require_tld=False), Length(max=1000)],
        description=_l(
            "BigBlueButton, Jitsi, Zoom… Visible des seul·es inscrit·es, 15 minutes avant."
        ),
    )
    place = StringField(_l("Lieu (présentiel)"), validators=[Optional(), Length(max=300)])
    outline = TextAreaField(
        _l("Déroulé minuté"),
        description=_l(
            "Une étape par ligne, « 0:00 Accueil », « 12:30 Témoignage » ; "
            "il devient le chapitrage du replay."
        ),
    )

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("La séance doit se terminer après son début."))

    def validate_outline(self, field):
        try:
            parse_outline(field.data)
        except ValueError as exc:
            raise ValidationError(
                _l("Ligne %(n)s : écrivez « minutes:secondes Titre ».", n=exc.args[0])
            ) from None

    def validate_place(self, field):
        if self.mode.data in ("in_person", "hybrid") and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez le lieu d'une séance en présentiel ou hybride."))

    def session_fields(self) -> dict:
        return {
            "position": self.position.data or None,
            "title": self.title.data,
            "description": self.description.data or "",
            "start_dt": to_utc(self.start.data, self.timezone.data),
            "end_dt": to_utc(self.end.data, self.timezone.data),
            "timezone": self.timezone.data,
            "mode": self.mode.data,
            "live_url": self.live_url.data or None,
            "place": self.place.data or "",
            "outline": parse_outline(self.outline.data),
        }


class SessionStatusForm(FlaskForm):
    status = SelectField(
        _l("Statut"),
        choices=[
            (SessionStatus.SCHEDULED.value, _l("Programmée")),
            (SessionStatus.POSTPONED.value, _l("Reportée")),
            (SessionStatus.CANCELLED.value, _l("Annulée")),
        ],
    )
    message = StringField(_l("Message aux inscrit·es"), validators=[Optional(), Length(max=500)])


class SpeakerForm(FlaskForm):
    person_id = SelectField(_l("Personne (annuaire)"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Rôle"), choices=[(k.value, v) for k, v in SPEAKER_ROLE_LABELS.items()])
    talk_title = StringField(
        _l("Sujet de l'intervention"), validators=[Optional(), Length(max=200)]
    )


class ReplayForm(FlaskForm):
    asset_id = SelectField(_l("Enregistrement traité"), coerce=int, validators=[Optional()])


class MaterialForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=[(k.value, v) for k, v in MATERIAL_KIND_LABELS.items()])
    session_id = SelectField(_l("Séance"), coerce=int, validators=[Optional()])
    title = StringField(_l("Titre"), validators=[Optional(), Length(max=200)])
    url = URLField(_l("Lien"), validators=[Optional(), http_url, Length(max=1000)])
    resource_id = SelectField(_l("Ressource"), coerce=int, validators=[Optional()])
    directory_entry = SelectField(_l("Fiche de l'annuaire"), validators=[Optional()])
    file = FileField(_l("Fichier"))
