"""OPML 2.0 list of public podcast feeds, for importing them all into an app at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from feeds.text import truncate_text, xml_safe
from feeds.types import Show

DEFAULT_TITLE = "Podcasts — La Boîte à outils des circuits courts"


def build_opml(
    shows: Iterable[Show], title: str = DEFAULT_TITLE, *, created_dt: datetime | None = None
) -> bytes:
    """Render the public shows as OPML 2.0 outlines (type="rss"); private feeds are left out."""
    # A member's token feed is a credential: it never belongs in a public list.
    shows = [show for show in shows if not show.private]
    if created_dt is None and shows:
        created_dt = max(show.updated_dt for show in shows)
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = xml_safe(title)
    if created_dt is not None:
        etree.SubElement(head, "dateCreated").text = format_datetime(created_dt.astimezone(UTC))
    body = etree.SubElement(opml, "body")
    for show in sorted(shows, key=lambda s: s.title.casefold()):
        name = truncate_text(show.title, 255)
        etree.SubElement(
            body,
            "outline",
            type="rss",
            text=name,
            title=name,
            xmlUrl=show.feed_url,
            htmlUrl=show.link,
            language=show.language.lower(),
        )
    return etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
