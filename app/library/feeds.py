"""Atom and RSS feeds of newly published resources, global and per theme (feedgen)."""

from flask import Response, url_for
from flask_babel import gettext as _

from app.core.templating import get_site_name
from app.core.text import render_markdown
from app.library import operations
from app.library.models import Theme

FEED_SIZE = 30


def build_resources_feed(fmt: str, *, theme: Theme | None) -> bytes:
    """Return the Atom or RSS document of the latest published resources."""
    site = get_site_name()
    resources = operations.list_published(theme=theme, limit=FEED_SIZE)
    page_url = (
        url_for("library.theme", slug=theme.slug, _external=True)
        if theme
        else url_for("library.index", _external=True)
    )
    self_url = (
        url_for("library.theme_feed", slug=theme.slug, fmt=fmt, _external=True)
        if theme
        else url_for("library.feed", fmt=fmt, _external=True)
    )
    from feedgen.feed import FeedGenerator  # loaded when a feed is built (memory)

    fg = FeedGenerator()
    fg.id(page_url)
    fg.title(
        _("Se documenter – %(theme)s", theme=theme.label)
        if theme
        else _("Se documenter – %(site)s", site=site)
    )
    fg.subtitle(_("Nouvelles ressources de la Boîte à outils des circuits courts"))
    fg.link(href=page_url, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("fr")
    fg.author({"name": site})
    for resource in reversed(resources):  # feedgen prepends entries: oldest first
        revision = resource.published_revision
        url = url_for("library.resource", slug=resource.slug, _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(resource.title)
        entry.link(href=url)
        entry.published(resource.published_dt)
        entry.updated(revision.reviewed_dt or revision.created_dt)
        entry.summary(resource.summary or resource.title)
        entry.content(str(render_markdown(revision.body)), type="CDATA" if fmt == "rss" else "html")
        for t in resource.themes:
            entry.category(term=t.slug, label=t.label)
    return fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)


def resources_feed(fmt: str, *, theme: Theme | None) -> Response:
    mimetype = "application/atom+xml" if fmt == "atom" else "application/rss+xml"
    response = Response(build_resources_feed(fmt, theme=theme), mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=600"
    return response
