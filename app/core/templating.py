"""Template globals and filters shared by every blueprint."""

from flask import Flask, current_app, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l

from app.config import DEFAULTS
from app.core.text import plain_text, render_markdown

#: The four doors of the site, in menu order: (label, endpoint). Features own the endpoints.
DOORS = (
    (_l("Se former"), "courses.catalogue"),
    (_l("Écouter"), "podcasts.index"),
    (_l("Se documenter"), "library.index"),
    (_l("Se mettre en réseau"), "network.index"),
)

#: The shipped site name, as a msgid: English pages call it by its English name.
DEFAULT_SITE_NAME = _l("La Boîte à outils des circuits courts")


def get_site_name() -> str:
    """The site's name in the reader's language.

    The SITE_NAME setting is the French (default) name; an operator who sets their own name gets
    it everywhere as written, since the catalogue cannot know it.
    """
    name = current_app.config["SITE_NAME"]
    if name == DEFAULTS["SITE_NAME"]:
        return str(DEFAULT_SITE_NAME)
    return name


def nav_items():
    """Return the doors whose feature is installed, with their URLs and active state."""
    items = []
    for label, endpoint in DOORS:
        if endpoint in current_app.view_functions:
            blueprint = endpoint.split(".", 1)[0]
            items.append(
                {"label": label, "url": url_for(endpoint), "active": request.blueprint == blueprint}
            )
    return items


def has_endpoint(endpoint: str) -> bool:
    """Tell whether a feature's page exists (templates link to features that may be absent)."""
    return endpoint in current_app.view_functions


def format_when(value) -> str:
    """Format a moment for people: "samedi 12 décembre 2026, 09:00" (no seconds, no zone name)."""
    return format_datetime(value, "EEEE d MMMM y, HH:mm")


def format_size(size: int | float | None) -> str:
    """Format a file size for people, in the reader's language ("340 Ko", "1.5 GB").

    Binary multiples, like the limits set in the configuration (8 × 1024³ reads "8 Go").
    """
    size = int(size or 0)
    if size >= 1024**3:
        return gettext("%(size)s Go", size=format_decimal(round(size / 1024**3, 1)))
    if size >= 1024**2:
        return gettext("%(size)s Mo", size=format_decimal(round(size / 1024**2, 1)))
    if size >= 1024:
        return gettext("%(size)s Ko", size=format_decimal(round(size / 1024)))
    return ngettext("%(num)s octet", "%(num)s octets", size)


def format_share(share: float | None) -> str:
    """Format a share (0.28) as a whole percentage the reader's way ("28 %", "28%")."""
    return format_percent(share or 0.0)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.filters["percent"] = format_share
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.globals["site_name"] = get_site_name
