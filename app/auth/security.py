"""Who is asking, and may they: session or API token, CSRF, role checks, security headers."""

from functools import wraps

from flask import abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import Role, User
from app.extensions import csrf, db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except SQLAlchemyError:
        # A database outage must show the error page, not crash while drawing the layout.
        db.session.rollback()
        return None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    from app.auth.operations import user_from_api_token

    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_from_api_token(header.removeprefix("Bearer ").strip())
    if user is not None:
        g.api_token_auth = True
        db.session.commit()  # records last_used_dt before the view runs
    return user


def bearer_token_present() -> bool:
    """Tell whether the request carries an API token (such requests are not CSRF-checked)."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def check_csrf() -> None:
    """Check CSRF on every state-changing request, except those authenticated by an API token."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if bearer_token_present():
        # A token is not sent automatically by browsers, so it cannot be forged cross-site.
        # An invalid token is still refused, by the view's login check.
        return
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and getattr(view, "csrf_exempt", False):
        return
    csrf.protect()


def csrf_exempt(view):
    """Mark a view that authenticates otherwise (signed URLs, webhooks)."""
    view.csrf_exempt = True
    return view


def role_required(*roles: Role | str):
    """Allow the view only to signed-in accounts counting as one of the roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/") or bearer_token_present():
                    abort(401)
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        #: Read by the authorisation-matrix test, which checks every route against it.
        wrapped.required_roles = frozenset(Role(r) for r in roles)
        return wrapped

    return decorator


def login_required(view):
    """Allow the view to any signed-in account (401 for API calls, login page otherwise)."""
    return role_required(*Role)(view)


def set_security_headers(response):
    """Add the headers every response carries; views may loosen frame-ancestors for embeds."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; "
        "connect-src 'self' https:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
    )
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response
