"""Exchange space: threads per theme or attached to a course, session or resource; posts,
follows, notifications and moderation reports."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, str_enum, utcnow
from app.extensions import db
from app.library.models import Theme


class Thread(db.Model):
    """A conversation: general (in a theme category) or about one target (kind + id)."""

    __tablename__ = "exchange_threads"
    __table_args__ = (sa.UniqueConstraint("target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    #: Category: the theme the thread belongs to; None = "Général".
    theme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    #: What the thread is about ("course", "session", "resource"…) and its id; None for general
    #: threads. One thread per target, created on demand.
    target_kind: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[int | None] = mapped_column()
    #: A locked thread takes no new post.
    is_locked: Mapped[bool] = mapped_column(default=False)
    #: Hidden by a moderator: answers 404 to everyone else.
    hidden_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    theme: Mapped[Theme | None] = relationship()
    created_by = relationship("User")
    posts: Mapped[list["Post"]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="Post.created_dt"
    )


class PostStatus(enum.StrEnum):
    #: A new member's first posts wait for a moderator.
    PENDING = "pending"
    VISIBLE = "visible"
    #: Hidden by a moderator: gone from the thread and from notifications not yet sent.
    HIDDEN = "hidden"


class Post(db.Model):
    __tablename__ = "exchange_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_threads.id", ondelete="CASCADE"), index=True
    )
    #: Kept when the account is deleted: the account is anonymised, the post stays.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The post this one answers, if any.
    reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("exchange_posts.id", ondelete="SET NULL")
    )
    #: Markdown, sanitised when rendered (quotes are Markdown blockquotes).
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[PostStatus] = mapped_column(
        str_enum(PostStatus), default=PostStatus.VISIBLE, index=True
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    moderated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship(back_populates="posts")
    author = relationship("User", foreign_keys=[author_id])
    reply_to: Mapped["Post | None"] = relationship(remote_side=[id])


class NotifyMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Follow(db.Model):
    """An account watching a thread, notified by e-mail at once or in a daily digest."""

    __tablename__ = "exchange_follows"
    __table_args__ = (sa.UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_threads.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[NotifyMode] = mapped_column(str_enum(NotifyMode), default=NotifyMode.IMMEDIATE)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship()


class Notification(db.Model):
    """A new post for a follower: listed in the account's notifications, mailed once."""

    __tablename__ = "exchange_notifications"
    __table_args__ = (sa.UniqueConstraint("user_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_posts.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[NotifyMode] = mapped_column(str_enum(NotifyMode), default=NotifyMode.IMMEDIATE)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the e-mail (immediate or digest) went out; None = still to send.
    mailed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()


class ReportState(enum.StrEnum):
    OPEN = "open"
    HANDLED = "handled"
    DISMISSED = "dismissed"


class Report(db.Model):
    """A member flagging a post for moderators."""

    __tablename__ = "exchange_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_posts.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: spam, offensive, incorrect, other.
    reason: Mapped[str] = mapped_column(sa.String(20))
    details: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[ReportState] = mapped_column(
        str_enum(ReportState), default=ReportState.OPEN, index=True
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    handled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
