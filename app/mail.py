"""Outgoing e-mail: SMTP when configured, otherwise .eml files in the instance outbox.

A message is written in its recipient's language: build its subject and text inside
``with force_locale(locale_of(user)):``; for several accounts, send one message per language
(``emails_by_locale``). Addresses without an account get the site's default language.
"""

import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app


def locale_of(user) -> str:
    """The language to write to an account in: the one it chose, else the site's default."""
    languages = current_app.config["LANGUAGES"]
    locale = getattr(user, "locale", None)
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def emails_by_locale(users) -> dict[str, list[str]]:
    """Group accounts' addresses by the language to write to them in."""
    groups: dict[str, list[str]] = {}
    for user in users:
        groups.setdefault(locale_of(user), []).append(user.email)
    return groups


def build_message(
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    sender: str | None = None,
) -> EmailMessage:
    """Build a multipart message; attachments are (filename, "type/subtype", bytes)."""
    msg = EmailMessage()
    msg["From"] = sender or current_app.config["MAIL"]["sender"]
    msg["To"] = ", ".join([to] if isinstance(to, str) else to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="circuits-courts.local")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments or ():
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_mail(to, subject: str, text: str, **kwargs) -> EmailMessage:
    """Send a message now (callers that must not block enqueue a task that calls this)."""
    msg = build_message(to, subject, text, **kwargs)
    conf = current_app.config["MAIL"]
    if not conf.get("server"):
        outbox = Path(conf["outbox"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        (outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(bytes(msg))
        return msg
    smtp_cls = smtplib.SMTP_SSL if conf.get("use_ssl") else smtplib.SMTP
    with smtp_cls(conf["server"], conf["port"], timeout=30) as smtp:
        if conf.get("use_tls") and not conf.get("use_ssl"):
            smtp.starttls()
        if conf.get("username"):
            smtp.login(conf["username"], conf["password"])
        smtp.send_message(msg)
    return msg
