"""Partners' feed URLs are typed by moderators: internal addresses, other schemes and redirects
to them are refused before any connection, with the reason shown on the feed."""

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.extensions import db
from app.network import ics
from app.network.agenda_models import Event, ExternalFeed
from tests.network.feed_helpers import CAL, FeedServer, vevent
from workers.network import import_feed


@pytest.fixture
def idle_server():
    """A real loopback server that must receive nothing (private feeds are not allowed here)."""
    server = FeedServer()
    server.serve(CAL.format(events=vevent("secret@intranet", "Ne doit pas sortir")), etag='"s"')
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _import(url):
    row = ExternalFeed(name="Partenaire", url=url)
    db.session.add(row)
    db.session.commit()
    counts = import_feed(row.id)
    db.session.expire_all()
    return counts, db.session.get(ExternalFeed, row.id)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("http://127.0.0.1:{port}/agenda.ics", "127.0.0.1 (adresse de bouclage (loopback))"),
        ("http://localhost:{port}/agenda.ics", "adresse de bouclage (loopback)"),
        ("http://[::1]:{port}/agenda.ics", "::1 (adresse de bouclage (loopback))"),
        ("http://10.20.30.40/agenda.ics", "10.20.30.40 (adresse de réseau privé)"),
        ("https://192.168.1.10/agenda.ics", "192.168.1.10 (adresse de réseau privé)"),
        ("http://[::ffff:10.0.0.1]/agenda.ics", "adresse de réseau privé"),
        ("http://169.254.169.254/latest/meta-data/", "adresse lien-local (link-local)"),
        ("http://0.0.0.0:{port}/agenda.ics", "adresse non spécifiée"),
        ("http://224.0.0.1/agenda.ics", "multicast"),
        ("file:///etc/passwd", "seules les adresses http(s) sont lues, pas file://"),
        ("ftp://127.0.0.1/agenda.ics", "seules les adresses http(s) sont lues, pas ftp://"),
    ],
)
def test_internal_and_non_http_feeds_are_refused_before_connecting(
    app, idle_server, template, reason
):
    assert app.config["NETWORK_FEED_ALLOW_PRIVATE"] is False  # the default
    counts, feed = _import(template.format(port=idle_server.port))
    assert counts["rejected"] == 1 and counts["created"] == 0
    assert feed.last_status.startswith("Échec : ") and reason in feed.last_status
    assert reason in feed.last_report[0]["reason"]
    assert idle_server.requests == []  # refused before any connection
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "lien-local"),
        ("http://[fe80::1]/agenda.ics", "lien-local"),
        ("http://240.0.0.1/agenda.ics", "réservée"),
        ("http://[ff02::1]/agenda.ics", "multicast"),
    ],
)
def test_metadata_multicast_and_reserved_stay_refused_when_private_feeds_are_allowed(
    app, url, reason
):
    app.config["NETWORK_FEED_ALLOW_PRIVATE"] = True
    _counts, feed = _import(url)
    assert "adresse interne refusée" in feed.last_status and reason in feed.last_status


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("127.0.0.2", "loopback"),
        ("172.16.5.4", "private"),
        ("100.64.0.1", "non-global"),  # carrier-grade NAT
        ("fd12:3456::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 wrapping 169.254.169.254
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("fe80::1%eth0", "link-local"),
    ],
)
def test_addresses_embedding_an_internal_ipv4_are_judged_on_it(address, kind):
    assert ics.address_kind(address) == kind


def test_redirects_are_followed_with_the_same_checks(app, feed_server):
    app.config["NETWORK_FEED_ALLOW_PRIVATE"] = True
    feed_server.serve(CAL.format(events=vevent("r@amap", "Déménagé")), etag='"r"')
    base = f"http://127.0.0.1:{feed_server.port}"
    feed_server.redirects = {
        "/ancien.ics": (301, "/agenda.ics"),
        "/vers-fichier.ics": (302, "file:///etc/passwd"),
        "/vers-metadonnees.ics": (307, "http://169.254.169.254/latest/meta-data/"),
        "/1": (302, "/2"), "/2": (302, "/3"), "/3": (302, "/4"), "/4": (302, "/agenda.ics"),
    }
    counts, feed = _import(f"{base}/ancien.ics")
    assert counts["created"] == 1
    assert [path for path, _etag in feed_server.requests] == ["/ancien.ics", "/agenda.ics"]

    _counts, feed = _import(f"{base}/vers-fichier.ics")
    assert "pas file://" in feed.last_status
    _counts, feed = _import(f"{base}/vers-metadonnees.ics")
    assert "169.254.169.254 (adresse lien-local (link-local))" in feed.last_status

    feed_server.requests.clear()
    _counts, feed = _import(f"{base}/1")
    assert "trop de redirections" in feed.last_status
    assert [path for path, _etag in feed_server.requests] == ["/1", "/2", "/3", "/4"]


@pytest.fixture
def tls_server(tmp_path):
    """A real HTTPS server on 127.0.0.1 with a certificate for "localhost" only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    body = CAL.format(events=vevent("tls@amap", "Sur HTTPS")).encode()
    hosts = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hosts.append(self.headers.get("Host"))
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    client_context = ssl.create_default_context(cadata=cert_pem.decode())
    yield httpd.server_address[1], client_context, hosts
    httpd.shutdown()
    httpd.server_close()


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(tls_server):
    port, context, hosts = tls_server
    # "localhost" may resolve to ::1 first (nothing listens there): the next checked address
    # is tried; the certificate is verified for the name, not the address.
    result = ics.fetch_feed(f"https://localhost:{port}/agenda.ics", allow_private=True,
                            ssl_context=context, timeout=5)
    assert result.status == 200 and b"UID:tls@amap" in result.body
    assert hosts == [f"localhost:{port}"]
    with pytest.raises(ics.FeedFetchError, match="injoignable"):
        ics.fetch_feed(f"https://127.0.0.1:{port}/agenda.ics", allow_private=True,
                       ssl_context=context, timeout=5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/agenda.ics", "Indiquez une adresse http:// ou https://."),
        ("http://10.0.0.8/agenda.ics", "Cette adresse est interne au réseau"),
        ("http://[::1]:8080/agenda.ics", "Cette adresse est interne au réseau"),
    ],
)
def test_moderators_cannot_add_a_non_http_or_internal_feed(client, login_as, url, message):
    login_as("moderator")
    response = client.post("/reseau/agenda/moderation", data={"name": "Interne", "url": url})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(ExternalFeed)) is None
