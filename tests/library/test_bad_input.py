"""An XSS corpus in every text field is neutralised on every page that shows it."""

import lxml.html
import pytest
import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.library import operations
from app.library.models import Proposal, Resource
from tests.conftest import login

XSS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert("x2")>',
    "<svg/onload=alert('x3')>",
    "[clic](javascript:alert('x4'))",
    "<a href=\"javascript:alert('x5')\">lien</a>",
    "<iframe src=\"javascript:alert('x6')\"></iframe>",
    "![img](javascript:alert('x7'))",
    "<div style=\"background:url(javascript:alert('x8'))\">",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<details open ontoggle=alert('x9')>",
]
PAYLOAD = "\n\n".join(XSS)


def assert_neutralised(html: str) -> None:
    """Parse the page as a browser would: nothing from the corpus became executable markup."""
    tree = lxml.html.document_fromstring(html.encode() if isinstance(html, str) else html)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        assert tag not in ("iframe", "svg", "details", "object", "embed"), tag
        if tag == "script":
            assert not (element.text or "").strip(), "inline script"
            assert element.get("src", "").startswith("/static/"), element.get("src")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"<{tag} {name}=…>"
            assert name.lower() != "style", f"<{tag} style=…>"
            if name.lower() in ("href", "src", "action", "formaction"):
                scheme = value.strip().lower().split(":", 1)[0]
                assert scheme not in ("javascript", "data", "vbscript"), f"<{tag} {name}={value}>"


@pytest.fixture
def hostile_resource(make_user, themes):
    editor = make_user("moderator")
    resource = operations.create_resource(
        author=editor,
        title=XSS[1] + " titre",
        summary=XSS[0] + XSS[2],
        body=PAYLOAD,
        theme_ids=[themes["logistique"].id],
        source_organisation=XSS[1],
        licence=XSS[0],
        territories=[XSS[2]],
    )
    operations.publish_revision(resource.revisions[0], editor)
    db.session.commit()
    return resource


def test_resource_page_search_theme_feeds_api(client, hostile_resource, login_as):
    slug = hostile_resource.slug
    pages = [
        f"/se-documenter/ressources/{slug}",
        "/se-documenter/",
        "/se-documenter/themes/logistique",
        "/recherche/?q=titre",
        "/recherche/?q=alert",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_neutralised(response.text)
    # Feeds carry HTML as text: check it once extracted by a real XML parser.
    atom = etree.fromstring(client.get("/se-documenter/flux.atom").data)
    rss = etree.fromstring(client.get("/se-documenter/flux.rss").data)
    contents = atom.findall(".//{http://www.w3.org/2005/Atom}content") + rss.findall(
        ".//{http://purl.org/rss/1.0/modules/content/}encoded"
    )
    assert len(contents) == 2 and all(c.text for c in contents)
    for content in contents:
        assert_neutralised(content.text)
    api = client.get(f"/api/library/resources/{slug}").json
    assert_neutralised(api["body_html"])
    assert api["title"] == XSS[1] + " titre"  # JSON keeps the text, as text
    for hit in client.get("/api/search", query_string={"q": "alert"}).json["hits"]:
        assert_neutralised(hit["snippet_html"])
    login_as("moderator")
    for url in (
        f"/se-documenter/ressources/{slug}/historique",
        f"/se-documenter/ressources/{slug}/versions/1",
        f"/se-documenter/ressources/{slug}/modifier",
        f"/se-documenter/ressources/{slug}/fiche",
        "/se-documenter/a-relire",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_neutralised(response.text)


def test_proposal_fields_in_moderation_queue(client, make_user):
    response = client.post(
        "/se-documenter/proposer",
        data={
            "kind": "resource",
            "title": XSS[0],
            "url": "https://example.org/?q=<script>",
            "why": PAYLOAD,
            "email": "x@example.org",
            "name": XSS[1],
        },
    )
    assert response.status_code == 200
    assert db.session.execute(sa.select(Proposal)).scalar_one().title == XSS[0]
    login(client, make_user("moderator"))
    assert_neutralised(client.get("/se-documenter/moderation").text)


def test_edit_with_hostile_text_and_conflict_screen(client, make_user, hostile_resource):
    login(client, make_user("contributor"))
    data = {
        "title": XSS[2],
        "summary": XSS[0],
        "body": PAYLOAD + "\nencore",
        "change_note": XSS[1],
        "base_revision_id": "0",
        "action": "save",
    }
    response = client.post(f"/se-documenter/ressources/{hostile_resource.slug}/modifier", data=data)
    assert response.status_code == 409
    assert_neutralised(response.text)
    data["base_revision_id"] = str(hostile_resource.published_revision_id)
    client.post(f"/se-documenter/ressources/{hostile_resource.slug}/modifier", data=data)
    db.session.expire_all()
    rev = db.session.get(Resource, hostile_resource.id).revisions[-1]
    assert_neutralised(
        client.get(f"/se-documenter/ressources/{hostile_resource.slug}/versions/{rev.number}").text
    )
    assert_neutralised(
        client.get(
            f"/se-documenter/ressources/{hostile_resource.slug}/comparer?de=1&a={rev.number}"
        ).text
    )


def test_external_url_must_be_http(client, login_as, hostile_resource):
    login_as("moderator")
    response = client.post(
        f"/se-documenter/ressources/{hostile_resource.slug}/fiche",
        data={
            "slug": hostile_resource.slug,
            "kind": "external_link",
            "origin": "external",
            "language": "fr",
            "external_url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 200
    assert "http:// ou https://" in response.text
    db.session.expire_all()
    assert db.session.get(Resource, hostile_resource.id).external_url is None


def test_record_refuses_fake_pdf_and_fake_cover(client, login_as, hostile_resource):
    import io

    login_as("moderator")
    base = {"slug": hostile_resource.slug, "kind": "document", "origin": "internal"}
    base["language"] = "fr"
    response = client.post(
        f"/se-documenter/ressources/{hostile_resource.slug}/fiche",
        data={**base, "document": (io.BytesIO(b"<html>not a pdf</html>"), "rapport.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "pas un PDF valide" in response.text
    response = client.post(
        f"/se-documenter/ressources/{hostile_resource.slug}/fiche",
        data={**base, "cover": (io.BytesIO(b"%PDF-1.4"), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    db.session.expire_all()
    resource = db.session.get(Resource, hostile_resource.id)
    assert resource.document_id is None and resource.cover_id is None
