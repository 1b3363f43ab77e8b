"""Template globals and filters shared by every blueprint."""

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from app.core.text import plain_text, render_markdown

#: The four doors of the site, in menu order: (label, endpoint). Features own the endpoints.
DOORS = (
    (_l("Se former"), "courses.catalogue"),
    (_l("Écouter"), "podcasts.index"),
    (_l("Se documenter"), "library.index"),
    (_l("Se mettre en réseau"), "network.index"),
)


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


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["has_endpoint"] = has_endpoint
