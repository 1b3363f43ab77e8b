"""Column types and helpers shared by every feature's models."""

from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MessageText(sa.types.TypeDecorator):
    """A text column that stores a :class:`~app.core.i18n.Message` as its msgid and values
    (JSON), plain strings as they are, and gives back a Message or a str."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from app.core.i18n import Message

        if isinstance(value, Message):
            return value.to_json()
        return value

    def process_result_value(self, value, dialect):
        from app.core.i18n import Message

        if value is None:
            return None
        return Message.from_json(value) or value


class MessageString(MessageText):
    """:class:`~app.core.i18n.MessageText` in a VARCHAR: for String columns that may hold a
    Message (their schema, and so the migrations, stay as they were). A Message whose JSON
    would not fit is stored as its French text, cut to the column's length."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from app.core.i18n import Message

        stored = super().process_bind_param(value, dialect)
        limit = self.impl.length
        if isinstance(value, Message) and limit and len(stored) > limit:
            return str.__str__(value)[:limit]
        return stored


class MessageJSON(sa.types.TypeDecorator):
    """A JSON column whose values may hold Messages anywhere (a list of errors, a report's
    reasons): each is kept as its msgid and values (``Message.to_dict``) and read back as a
    Message, so every reader sees it in their language. Plain strings stay as they are."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from app.core.i18n import Message

        def store(item):
            if isinstance(item, Message):
                return item.to_dict()
            if isinstance(item, dict):
                return {key: store(v) for key, v in item.items()}
            if isinstance(item, list | tuple):
                return [store(v) for v in item]
            return item

        return None if value is None else store(value)

    def process_result_value(self, value, dialect):
        from app.core.i18n import Message

        def read(item):
            if isinstance(item, dict) and "msgid" in item:
                try:
                    return Message.from_dict(item)
                except (KeyError, ValueError, TypeError):  # values no longer fit the sentence
                    return str(item["msgid"])
            if isinstance(item, dict):
                return {key: read(v) for key, v in item.items()}
            if isinstance(item, list):
                return [read(v) for v in item]
            return item

        return None if value is None else read(value)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Make SQLite enforce foreign keys and let the web app and the worker share the file."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def str_enum(cls, length: int = 20) -> sa.Enum:
    """Store a StrEnum by value in a VARCHAR (no native enum type to migrate on PostgreSQL)."""
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
