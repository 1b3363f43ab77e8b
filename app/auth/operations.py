"""Account operations: they flush, the caller commits."""

import functools
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import ApiToken, Role, User
from app.auth.tokens import hash_token, new_token
from app.extensions import db
from app.mail import send_mail


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so both paths take the same time.

    Made on the first failed login, not at import: scrypt needs 32 MB while it runs, which
    every web and worker process would otherwise carry in its peak memory from the start.
    """
    return generate_password_hash("not-a-password-timing-equaliser")


class AccountError(ValueError):
    """A request about an account that cannot be honoured, with a message for the person."""


def normalise_email(email: str) -> str:
    """Return the canonical form of an address used as login."""
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    """Return the account for an e-mail address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    password: str | None,
    *,
    role: Role | str = Role.LEARNER,
    display_name: str = "",
    confirmed: bool = False,
) -> User:
    """Create an account; raise AccountError if the address is taken."""
    if get_user_by_email(email):
        raise AccountError(_("Un compte existe déjà pour cette adresse."))
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        role=Role(role),
        password_hash=generate_password_hash(password) if password else None,
        email_confirmed_dt=datetime.now(UTC) if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the password (invalidates outstanding reset links)."""
    user.password_hash = generate_password_hash(password)


def authenticate(email: str, password: str) -> User | None:
    """Return the active account matching these credentials, or None (same cost either way)."""
    user = get_user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_dt = datetime.now(UTC)
    return user


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_reset_token(user: User) -> str:
    """Return a signed, expiring, single-use password reset token."""
    # The hash fragment makes the link die as soon as the password changes.
    return _serializer("password-reset").dumps([user.id, (user.password_hash or "")[-12:]])


def user_from_reset_token(token: str) -> User:
    """Return the account a reset token is for, or raise AccountError."""
    try:
        user_id, fragment = _serializer("password-reset").loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except SignatureExpired as exc:
        raise AccountError(_("Ce lien a expiré : demandez-en un nouveau.")) from exc
    except BadSignature as exc:
        raise AccountError(_("Ce lien n'est pas valide.")) from exc
    user = db.session.get(User, user_id)
    if user is None or (user.password_hash or "")[-12:] != fragment:
        raise AccountError(_("Ce lien a déjà servi ou n'est plus valide."))
    return user


def make_confirm_token(user: User) -> str:
    """Return a signed token confirming the account's e-mail address."""
    return _serializer("confirm-email").dumps(user.id)


def confirm_email(token: str) -> User:
    """Mark the address behind a confirmation token as confirmed, or raise AccountError."""
    try:
        user_id = _serializer("confirm-email").loads(
            token, max_age=current_app.config["ACCOUNT_CONFIRM_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired) as exc:
        raise AccountError(_("Ce lien de confirmation n'est pas valide ou a expiré.")) from exc
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(_("Ce lien de confirmation n'est pas valide ou a expiré."))
    if user.email_confirmed_dt is None:
        user.email_confirmed_dt = datetime.now(UTC)
    return user


def _send(user_email: str, locale: str | None, subject, template: str, **ctx) -> None:
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        send_mail(user_email, str(subject), render_template(template, **ctx))


def register(email: str, password: str, display_name: str = "") -> None:
    """Sign up without revealing whether the address already has an account."""
    existing = get_user_by_email(email)
    if existing is not None:
        # Tell the owner, not the person filling the form.
        _send(
            existing.email,
            existing.locale,
            _l("Vous avez déjà un compte"),
            "auth/mail/already_registered.txt",
            user=existing,
            reset_url=url_for("auth.forgot_password", _external=True),
        )
        return
    user = create_user(email, password, display_name=display_name)
    _send(
        user.email,
        str(get_locale()),  # the language the person is signing up in
        _l("Confirmez votre adresse e-mail"),
        "auth/mail/confirm.txt",
        user=user,
        confirm_url=url_for("auth.confirm", token=make_confirm_token(user), _external=True),
    )


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = get_user_by_email(email)
    if user is None or not user.is_enabled:
        return
    _send(
        user.email,
        user.locale,
        _l("Réinitialiser votre mot de passe"),
        "auth/mail/reset.txt",
        user=user,
        reset_url=url_for("auth.reset_password", token=make_reset_token(user), _external=True),
    )


def create_api_token(user: User, name: str = "") -> str:
    """Create an API token for scripts and upload clients; return it (shown once)."""
    token, digest = new_token("cc_")
    db.session.add(ApiToken(user=user, name=name, token_hash=digest))
    db.session.flush()
    return token


def user_from_api_token(token: str) -> User | None:
    """Return the active account owning an unrevoked API token, or None."""
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_dt.is_(None)
        )
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_dt = datetime.now(UTC)
    return row.user


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of the user's API tokens."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise AccountError(_("Jeton introuvable."))
    row.revoked_dt = datetime.now(UTC)
