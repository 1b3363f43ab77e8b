"""An XSS corpus through every user text field: stored, rendered, and never executable.

An administrator (who may use every form) fills the public forms with the corpus — the forms are
read from the pages themselves, so new fields are covered as they appear — and the API with the
same strings. Every page that may show them (the page after submitting, listings, moderation
queues, search, feeds) is then parsed with lxml.html: no injected <script>, no on* attribute, no
javascript: URL, no frame or object carrying the payload. The corpus text must be visible as
text somewhere, so a form that silently drops the input does not pass for a safe one.
"""

import re
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest

from app.auth.models import Role

#: Each payload carries a marker "xssN" so a leak can be traced to its payload.
CORPUS = [
    "<script>alert('xss1')</script>",
    "<img src=x onerror=\"alert('xss2')\">",
    "<a href=\"javascript:alert('xss3')\">lien xss3</a>",
    "<svg onload=alert('xss4')><circle r=1 /></svg>",
    "<a href=\"jav&#x09;ascript:alert('xss5')\">lien xss5</a>",
    "<a href=\"&#106;&#97;vascript:alert('xss6')\">lien xss6</a>",
    "[lien xss7](javascript:alert('xss7'))",
    "\"><script>alert('xss8')</script>",
    "<iframe src=\"javascript:alert('xss9')\"></iframe>",
    "<details open ontoggle=alert('xss10')>xss10</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss11')></style></math>",
    "<a href=\"  JaVaScRiPt:alert('xss12')\">lien xss12</a>",
    "<object data=\"data:text/html,<script>alert('xss13')</script>\"></object>",
    "<style>body{background:url(\"javascript:alert('xss14')\")}</style>",
    "&lt;script&gt;alert('xss15')&lt;/script&gt;",
    "<scr<script>ipt>alert('xss16')</scr</script>ipt>",
    "<body onload=alert('xss17')>",
    "<form action=\"javascript:alert('xss18')\"><button>xss18</button></form>",
    "![image xss19](javascript:alert('xss19'))",
    "<base href=\"javascript:alert('xss20')//\">",
]
#: The whole corpus for long text; one short payload for one-line fields.
LONG = "Texte xss-corpus\n\n" + "\n\n".join(CORPUS)
SHORT = "xss-corpus \"><svg onload=alert('xss21')>"
URL_PAYLOAD = "javascript:alert('xss22')"
SAFE_URL = "https://exemple.org/xss-corpus"

#: Text areas with a line format: the corpus goes in the free part of each line.
FORMATTED = {
    "outline": "0:00 Accueil xss-corpus <script>alert('xss23')</script>\n"
    "5:00 <img src=x onerror=alert('xss24')>\n10:00 [lien xss25](javascript:alert('xss25'))",
    "links": SAFE_URL,
    "social_links": SAFE_URL,
}
#: One-line fields that hold free text (others may have a format: postcode, SIRET, slug…).
FREE_TEXT = {
    "title", "name", "summary", "headline", "change_note", "place", "city", "organiser_name",
    "contact_name", "provider", "author", "host", "first_name", "family_name", "street", "q",
}  # fmt: skip
#: Honeypot fields: a person leaves them empty.
HONEYPOTS = {"website"}

FORM_PAGES = [
    "/se-documenter/nouvelle",
    "/se-documenter/proposer",
    "/reseau/echanges/nouveau",
    "/reseau/mon-profil",
    "/reseau/personnes/nouvelle",
    "/reseau/structures/nouvelle",
    "/reseau/agenda/proposer",
    "/se-former/gestion/nouvelle",
    "/se-former/proposer",
    "/ecouter/gestion/nouvelle",
]
#: Forms reached from the page a submission lands on (a reply, a session, an episode).
FOLLOW_UP = re.compile(r"/(messages|seances/nouvelle|episodes/nouveau)$")
#: Pages listing what people wrote.
LISTINGS = [
    "/", "/se-documenter/", "/se-documenter/moderation", "/se-documenter/a-relire",
    "/reseau/", "/reseau/annuaire", "/reseau/echanges", "/reseau/agenda",
    "/reseau/agenda/moderation", "/reseau/echanges/moderation", "/se-former/",
    "/se-former/gestion/", "/se-former/gestion/propositions", "/ecouter/", "/ecouter/gestion/",
    "/recherche/?q=xss", "/se-documenter/flux.atom", "/se-documenter/flux.rss",
]  # fmt: skip
NEVER_FOLLOW = re.compile(r"deconnexion|supprimer|/langue|\.ics$|\.pdf$|\.csv$|export|/media/")

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href",
                  "background", "srcdoc"}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


# --------------------------------------------------------------------------- the checks
def executable_markup(html: str, where: str) -> list[str]:
    """Return every way the HTML could run injected code."""
    problems = []
    if not html.strip():
        return problems
    doc = lxml.html.document_fromstring(html)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "script":
            src = el.get("src", "")
            data_block = el.get("type", "") in ("application/ld+json", "application/json")
            if not (src.startswith("/static/") or (data_block and not src)):
                problems.append(f"{where}: <script src={src!r}> {el.text_content()[:80]!r}")
        if tag in ("iframe", "object", "embed", "base", "frame") and "xss" in lxml.html.tostring(
            el, encoding="unicode"
        ):
            problems.append(f"{where}: <{tag}> carries the payload")
        if tag == "meta" and el.get("http-equiv", "").lower() == "refresh":
            problems.append(f"{where}: <meta http-equiv=refresh>")
        for name, value in el.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on"):
                problems.append(f"{where}: <{tag} {name}={value[:60]!r}>")
            if lowered in URL_ATTRIBUTES:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(DANGEROUS_SCHEMES):
                    problems.append(f"{where}: <{tag} {name}={value[:60]!r}>")
            if lowered == "style" and ("xss" in value or "javascript" in value.lower()):
                problems.append(f"{where}: <{tag} style={value[:60]!r}>")
    return problems


def feed_problems(xml: bytes, where: str) -> list[str]:
    """Parse a feed and check the HTML it carries (descriptions, content) as readers render it."""
    problems = []
    root = lxml.etree.fromstring(xml, parser=lxml.etree.XMLParser(resolve_entities=False))
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.text or "<" not in el.text:
            continue
        local = el.tag.rsplit("}", 1)[-1]
        if local in ("description", "encoded", "summary", "content", "subtitle"):
            problems += executable_markup(f"<div>{el.text}</div>", f"{where} <{local}>")
    return problems


def test_the_checks_catch_each_kind_of_executable_markup():
    raw = "".join(CORPUS[:4]) + CORPUS[4] + CORPUS[9]
    found = executable_markup(f"<html><body>{raw}</body></html>", "raw")
    assert any("<script" in p for p in found)
    assert any("onerror" in p for p in found)
    assert any("javascript:" in p.lower() for p in found)
    assert any("onload" in p for p in found)
    assert any("ontoggle" in p for p in found)
    assert any("xss5" in p for p in found)  # the entity trick, decoded by the parser
    assert executable_markup("<p>&lt;script&gt;alert('xss')&lt;/script&gt;</p>", "escaped") == []


# --------------------------------------------------------------------------- the forms
def _main_form(html: str, url: str):
    doc = lxml.html.document_fromstring(html)
    doc.make_links_absolute(f"http://localhost{url}")
    candidates = [
        f for f in doc.forms
        if (f.method or "GET").upper() == "POST"
        and not re.search(r"/langue|deconnexion", f.action or "")
        and any(el.tag == "textarea" or el.get("type", "text") == "text" for el in f.inputs)
    ]  # fmt: skip
    if not candidates:
        return None
    return max(candidates, key=lambda f: len(list(f.inputs)))


def _fill(form, *, everywhere: bool) -> dict:
    """Return the form data: the corpus in text fields, sane values in typed ones."""
    data: dict[str, list[str]] = {}

    def put(name, value):
        data.setdefault(name, []).append(value)

    def text(el, value):
        limit = el.get("maxlength")
        return value[: int(limit)] if limit and limit.isdigit() else value

    for el in form.inputs:
        name = el.get("name")
        if not name:
            continue
        tag, kind = el.tag, (el.get("type") or "text").lower()
        if tag == "textarea":
            put(name, FORMATTED.get(name) or text(el, LONG))
        elif tag == "select":
            options = [o.get("value", o.text or "") for o in el.findall(".//option")]
            options = [o for o in options if o] or options
            if options:
                put(name, options[-1] if name == "tzid" else options[0])
        elif kind in ("hidden", "submit", "button", "reset"):
            if kind == "hidden" and el.get("value") is not None:
                put(name, el.get("value"))
        elif kind == "file":
            continue
        elif kind in ("checkbox", "radio"):
            if kind == "radio" and name not in data:
                put(name, el.get("value", "on"))
            elif kind == "checkbox" and (el.get("required") is not None or name == "consent"):
                put(name, el.get("value", "y"))
        elif kind == "url":
            put(name, URL_PAYLOAD if everywhere else SAFE_URL)
        elif kind == "email":
            put(name, "xss-corpus@example.org")
        elif kind == "number":
            put(name, el.get("min") or "12")
        elif kind == "datetime-local":
            put(name, "2031-03-14T10:00" if "end" not in name else "2031-03-14T12:00")
        elif kind == "date":
            put(name, "2031-03-14")
        elif kind == "time":
            put(name, "10:00" if "end" not in name else "12:00")
        elif name in HONEYPOTS:
            put(name, "")
        elif everywhere or name in FREE_TEXT:
            put(name, text(el, SHORT))
        else:
            put(name, el.get("value") or "")
    return data


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _submit(client, url: str, seen: dict[str, str], problems: list[str]) -> str | None:
    """Fill the main form of url; return the path of the page it lands on (None: no form)."""
    page = client.get(url, follow_redirects=True)
    assert page.status_code == 200, (url, page.status_code)
    query = page.request.query_string.decode()
    url = page.request.path + (f"?{query}" if query else "")  # where a redirect led
    form = _main_form(page.get_data(as_text=True), url)
    if form is None:
        return None
    action = _path(form.action) if form.action else url
    last = None
    for everywhere in (True, False):
        response = client.post(action, data=_fill(form, everywhere=everywhere))
        html = response.get_data(as_text=True)
        problems += executable_markup(html, f"POST {action} (answer)")
        if response.status_code in (302, 303):
            target = _path(urljoin(f"http://localhost{action}", response.headers["Location"]))
            seen[target] = client.get(target).get_data(as_text=True)
            return target
        if response.status_code == 200 and not _errors(html):  # a "thank you" page
            seen[f"{action}#answer"] = html
            return f"{action}#answer"
        last = (response.status_code, _errors(html))
    raise AssertionError(f"the form of {url} refused the corpus twice: {last}")


def _errors(html: str) -> list[str]:
    doc = lxml.html.document_fromstring(html)
    return [
        " ".join(el.text_content().split())[:160]
        for el in doc.xpath('//*[contains(@class, "error") or @role="alert"]')
    ][:6]


def _ready_audio(tmp_path, owner) -> None:
    """A processed one-second recording, so the episode form has something to publish."""
    import subprocess

    from app.core.db import utcnow
    from app.extensions import db
    from app.media.models import AssetKind, AssetStatus, MediaAsset, Rendition, RenditionKind
    from app.media.operations import store_file

    path = tmp_path / "bonjour.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "libmp3lame",
         str(path)], check=True, capture_output=True,
    )  # fmt: skip
    with path.open("rb") as fh:
        stored = store_file(fh, "bonjour.mp3", prefix="test/audio", content_type="audio/mpeg")
    asset = MediaAsset(
        title="Bonjour", kind=AssetKind.AUDIO, status=AssetStatus.READY, duration_s=1.0,
        ready_dt=utcnow(), owner_id=owner.id,
    )
    asset.renditions.append(Rendition(kind=RenditionKind.AUDIO_EDITION, file=stored,
                                      duration_s=1.0))  # fmt: skip
    db.session.add(asset)
    db.session.commit()


@pytest.fixture
def corpus_site(app, client, login_as, tmp_path):
    from app.demo import load_demo

    load_demo(with_media=False, log=lambda *_: None)
    admin = login_as(Role.ADMIN)
    _ready_audio(tmp_path, admin)
    return client


def test_the_corpus_is_neutralised_through_every_public_form(corpus_site):
    client = corpus_site
    problems: list[str] = []
    seen: dict[str, str] = {}
    submitted = []
    for url in FORM_PAGES:
        landed = _submit(client, url, seen, problems)
        assert landed is not None, f"no form found on {url}"
        submitted.append(url)
        doc = lxml.html.document_fromstring(seen[landed])
        doc.make_links_absolute(f"http://localhost{landed.split('#')[0]}")
        follow = sorted({
            _path(f.action) if (f.method or "GET").upper() == "POST" else None
            for f in doc.forms if f.action and FOLLOW_UP.search(_path(f.action))
        } - {None} | {
            _path(href) for _el, _attr, href, _pos in doc.iterlinks()
            if FOLLOW_UP.search(_path(href))
        })  # fmt: skip
        for target in follow:
            if target.endswith("/messages"):
                response = client.post(target, data={"body": LONG})
                assert response.status_code in (200, 302, 303), (target, response.status_code)
                seen[landed] = client.get(landed.split("#")[0]).get_data(as_text=True)
            elif _submit(client, target, seen, problems):
                submitted.append(target)

    # Every page that lists or shows what was written, and the pages they link to.
    queue = list(dict.fromkeys(LISTINGS + [url for url in seen if "#" not in url]))
    visited: set[str] = set()
    while queue and len(visited) < 400:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - in tests errors propagate: a production 500
            problems.append(f"{url}: raised {type(exc).__name__}: {exc}"[:300])
            continue
        if response.status_code != 200:
            continue
        body = response.get_data()
        mimetype = response.mimetype or ""
        if "xml" in mimetype:
            problems += feed_problems(body, url)
            continue
        if mimetype != "text/html":
            continue
        html = body.decode("utf-8", "replace")
        seen[url] = html
        problems += executable_markup(html, url)
        doc = lxml.html.document_fromstring(html)
        for _el, attr, href, _pos in doc.iterlinks():
            if attr != "href" or not href.startswith("/") or href.startswith("/static/"):
                continue
            if not NEVER_FOLLOW.search(href) and href not in visited and len(queue) < 600:
                queue.append(href)

    assert not problems, "\n".join(dict.fromkeys(problems))
    shown = [url for url, html in seen.items() if "xss-corpus" in html or "xss1" in html]
    # Resources, threads, people, organisations, events, courses, sessions, shows, episodes…
    assert len(shown) >= 10, f"the corpus is visible on too few pages to prove much: {shown}"
    assert len(submitted) >= len(FORM_PAGES)


def test_the_corpus_is_neutralised_through_the_api(app, client, make_user):
    from app.auth.operations import create_api_token
    from app.extensions import db

    admin = make_user(Role.ADMIN)
    token = create_api_token(admin, "xss")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/podcasts/shows",
        json={"slug": "xss-corpus", "title": SHORT, "description": LONG, "author": SHORT},
        headers=headers,
    )
    assert created.status_code in (200, 201), created.get_data(as_text=True)[:300]
    episode = client.post(
        "/api/podcasts/shows/xss-corpus/episodes",
        json={"title": SHORT, "description": LONG},
        headers=headers,
    )
    assert episode.status_code in (200, 201, 400, 422), episode.get_data(as_text=True)[:300]
    problems = []
    page = client.get("/ecouter/xss-corpus/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "xss-corpus" in html
    problems += executable_markup(html, "/ecouter/xss-corpus/")
    feed = client.get("/feeds/xss-corpus.xml")
    assert feed.status_code == 200
    problems += feed_problems(feed.get_data(), "/feeds/xss-corpus.xml")
    for url in ("/ecouter/", "/ecouter/gestion/"):
        problems += executable_markup(client.get(url).get_data(as_text=True), url)
    assert not problems, "\n".join(problems)
