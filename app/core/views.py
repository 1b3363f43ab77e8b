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
from flask_login import current_user
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


def handle_http_error(exc: HTTPException):
    """Render HTTP errors in the site layout (JSON under /api/)."""
    if _wants_json():
        return jsonify(code=exc.code, status=exc.name, message=exc.description), exc.code
    return render_template("errors/error.html", error=exc), exc.code


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
