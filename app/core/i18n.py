"""Sentences written by workers and stored in the database, shown in each reader's language.

A worker has no reader: it fails a job in the middle of the night and stores why. Storing the
French text would leave English pages half French; storing a code would lose the details. A
:class:`Message` keeps both the source sentence (its msgid, French) and its values, and a column
of type :class:`MessageText` stores that pair, so the page translates it when it is read::

    job.error = Message("La piste audio dure %(duration)s : au-delà de la limite.", duration="5 h")
    {{ job.error }}            {# in the reader's language #}
    job.error.translated()     # for JSON answers

As a ``str`` a Message is its French text, so logs, comparisons and ``in`` read naturally.
``scripts/translations.py extract`` collects ``Message("...")`` calls like ``_("...")``.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import escape


class Message(str):
    """A translatable sentence with its values; the str value is the French rendering."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        # Nested Messages are formatted as their French text (str() would translate them, and
        # resolve the reader's language as a side effect).
        french = {k: str.__str__(v) if isinstance(v, Message) else v for k, v in params.items()}
        text = msgid % french if params else msgid
        message = super().__new__(cls, text)
        message.msgid = msgid
        message.params = params
        return message

    def translated(self) -> str:
        """The sentence in the current request's language (French outside a request).

        Values that are Messages themselves (a step's name inside a failure reason) are
        translated too.
        """
        from flask import has_app_context
        from flask_babel import gettext

        if not has_app_context():
            return str.__str__(self)
        if not self.params:
            return gettext(self.msgid)
        return gettext(self.msgid, **{name: translated(v) for name, v in self.params.items()})

    def __html__(self) -> str:
        return str(escape(self.translated()))

    def __str__(self) -> str:
        return self.translated()

    def __format__(self, spec: str) -> str:
        return format(self.translated(), spec)

    def __reduce__(self):  # pickling (Celery results, caches) keeps the msgid and values
        return (Message.from_dict, (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        params = {
            name: value.to_dict() if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return {"msgid": self.msgid, "params": params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        params = {
            name: cls.from_dict(value) if isinstance(value, dict) and "msgid" in value else value
            for name, value in (data.get("params") or {}).items()
        }
        return cls(data["msgid"], **params)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, value: str) -> Message | None:
        """Read back what :meth:`to_json` wrote; None when ``value`` is plain text."""
        if not value.startswith('{"msgid"'):
            return None
        try:
            return cls.from_dict(json.loads(value))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def translated(value: Any) -> Any:
    """``value`` in the reader's language when it is a Message, unchanged otherwise."""
    return value.translated() if isinstance(value, Message) else value


def __getattr__(name: str):
    # The column type lives with the others in app.core.db: importing this module must not load
    # SQLAlchemy (the pure media builders raise Messages and stay database-free).
    if name == "MessageText":
        from app.core.db import MessageText

        return MessageText
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
