"""Accounts, roles and API tokens."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.extensions import db


class Role(enum.StrEnum):
    LEARNER = "learner"
    CONTRIBUTOR = "contributor"
    ANIMATOR = "animator"
    MODERATOR = "moderator"
    ADMIN = "admin"


#: Roles as people read them (account page).
ROLE_LABELS = {
    Role.LEARNER: _l("Apprenant·e"),
    Role.CONTRIBUTOR: _l("Contributeur·rice"),
    Role.ANIMATOR: _l("Animateur·rice"),
    Role.MODERATOR: _l("Modérateur·rice"),
    Role.ADMIN: _l("Administrateur·rice"),
}

#: What each role may do, as the set of roles it counts as.
ROLE_GRANTS = {
    Role.LEARNER: {Role.LEARNER},
    Role.CONTRIBUTOR: {Role.LEARNER, Role.CONTRIBUTOR},
    Role.ANIMATOR: {Role.LEARNER, Role.CONTRIBUTOR, Role.ANIMATOR},
    Role.MODERATOR: {Role.LEARNER, Role.CONTRIBUTOR, Role.MODERATOR},
    Role.ADMIN: set(Role),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased e-mail address, the login.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: Name shown to others.
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Werkzeug scrypt hash; None for accounts that cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        str_enum(Role),
        default=Role.LEARNER,
    )
    #: Disabled accounts cannot log in; kept so contributions stay attributed.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Preferred interface language ("fr" or "en"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    #: Set once the owner followed the link sent at sign-up.
    email_confirmed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    api_tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_enabled and self.email_confirmed_dt is not None

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[Role(self.role)])

    def has_role(self, *roles: Role | str) -> bool:
        """Tell whether this account counts as any of the given roles."""
        granted = ROLE_GRANTS[Role(self.role)]
        return any(Role(r) in granted for r in roles)

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What the owner called it ("script d'envoi", "tuspy"…).
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_tokens")
