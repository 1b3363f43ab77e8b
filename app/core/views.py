"""Home page, language switch, health and error pages."""

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.auth.views import _safe_next
from app.core.health import run_checks
from app.extensions import db, login_manager

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    return render_template("core/index.html")


@bp.route("/langue", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/healthz")
def healthz():
    ok, checks = run_checks()
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


def refuse_nul_bytes():
    """Answer 400 to NUL bytes in the path or query (PostgreSQL refuses them in text values)."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


#: What an error means, for errors raised without a sentence of ours (Werkzeug's defaults are
#: English; explicit descriptions, ``abort(400, _("…"))``, are already in the reader's language).
ERROR_MESSAGES = {
    400: _l("La requête est incorrecte."),
    401: _l("Connectez-vous pour accéder à cette ressource."),
    403: _l("Votre compte n'a pas accès à cette page."),
    404: _l("Cette page n'existe pas ou plus. Elle a peut-être été déplacée."),
    405: _l("Cette adresse n'accepte pas ce type de requête."),
    409: _l("La demande est en conflit avec l'état actuel de la ressource."),
    410: _l("Cette page a été supprimée."),
    413: _l("Le fichier envoyé dépasse la taille autorisée."),
    415: _l("Ce type de contenu n'est pas accepté."),
    422: _l("Les données envoyées sont invalides."),
    429: _l("Trop de tentatives en peu de temps. Patientez une minute puis réessayez."),
    500: _l("Une erreur interne est survenue."),
    503: _l("Le service est momentanément indisponible. Réessayez dans quelques minutes."),
}


def error_message(exc: HTTPException) -> str:
    """The sentence shown for an HTTP error, in the reader's language."""
    if isinstance(exc, CSRFError):
        return _(
            "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. "
            "Rechargez la page puis réessayez."
        )
    # Flask-Limiter describes the limit hit ("10 per 1 minute"): say what to do instead.
    if exc.code == 429 or exc.description == type(exc).description:
        message = ERROR_MESSAGES.get(exc.code)
        return str(message) if message else _("Erreur %(code)s", code=exc.code)
    return str(exc.description)


def handle_http_error(exc: HTTPException):
    """Render HTTP errors in the site layout (JSON under /api/)."""
    message = error_message(exc)
    if _wants_json():
        return jsonify(code=exc.code, status=exc.name, message=message), exc.code
    return render_template("errors/error.html", error=exc, message=message), exc.code


def handle_database_down(exc: OperationalError):
    """Show a calm 503 page when the database cannot be reached."""
    # Rendering must not touch the database again (the user loader, the locale selector).
    g._login_user = login_manager.anonymous_user()
    db.session.rollback()
    current_app.logger.error("database unavailable: %s", type(exc.orig).__name__)
    message = _("Le service est momentanément indisponible. Réessayez dans quelques minutes.")
    if _wants_json():
        return jsonify(code=503, status="Service Unavailable", message=message), 503
    return render_template("errors/unavailable.html", message=message), 503


def handle_unexpected(exc: Exception):
    """Log the traceback and show a plain 500 page."""
    if isinstance(exc, HTTPException):
        return handle_http_error(exc)
    current_app.logger.exception("unhandled error on %s", request.path)
    db.session.rollback()
    if _wants_json():
        return jsonify(code=500, status="Internal Server Error", message=_("Erreur interne.")), 500
    return render_template(
        "errors/unavailable.html", message=_("Une erreur interne est survenue.")
    ), 500
