"""Ids no row can have: every route answers 404 (or another 4xx), never a server error.

Werkzeug's ``int`` converter accepts any number of digits, while PostgreSQL integers stop at
2**31 - 1 and SQLite's at 2**63 - 1: a link typed by hand or a scanner must still get a calm 404.
"""

import re

from werkzeug.routing import AnyConverter, IntegerConverter

from app.auth.models import Role

HUGE_IDS = (2**31, 10**20)


def test_out_of_range_ids_get_a_4xx_on_every_route(app, client, login_as):
    login_as(Role.ADMIN)
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        converters = {a: rule._converters[a] for a in rule.arguments}
        if "GET" not in rule.methods or not any(
            isinstance(c, IntegerConverter) for c in converters.values()
        ):
            continue
        for huge in HUGE_IDS:
            url = rule.rule
            for arg, converter in converters.items():
                if isinstance(converter, IntegerConverter):
                    value = str(huge)
                elif isinstance(converter, AnyConverter):
                    value = converter.regex.strip("()").split("|")[0].strip("?:")
                else:
                    value = "inexistant"
                url = re.sub(rf"<(?:[^:<>]+:)?{arg}(?:\([^)]*\))?>", lambda _m, v=value: v, url)
            try:
                status = client.get(url).status_code
            except Exception as exc:  # noqa: BLE001 - in tests errors propagate: a production 500
                failures.append(f"{url}: raised {type(exc).__name__}")
                continue
            checked += 1
            if status >= 500:
                failures.append(f"{url}: {status}")
    assert checked > 20
    assert not failures, "\n".join(failures)


def test_nul_bytes_in_queries_get_no_server_error(app, client, login_as):
    """PostgreSQL refuses NUL in text: a search for one must not become a 500."""
    login_as(Role.ADMIN)
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = f"{rule.rule}?q=ferme%00&theme=%00&territory=%00&kind=%00&page=1"
        try:
            status = client.get(url).status_code
        except Exception as exc:  # noqa: BLE001 - in tests errors propagate: a production 500
            failures.append(f"{url}: raised {type(exc).__name__}")
            continue
        checked += 1
        if status >= 500:
            failures.append(f"{url}: {status}")
    assert checked > 20
    assert not failures, "\n".join(failures)
