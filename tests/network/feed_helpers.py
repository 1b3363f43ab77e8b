"""A partner's calendar for the tests: .ics text builders and a real loopback HTTP server."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CAL = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Réseau des AMAP AURA//Agenda//FR\r
{events}END:VCALENDAR\r
"""

EVENT = """BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T090000Z\r
DTSTART;TZID=Europe/Paris:{start}\r
DTEND;TZID=Europe/Paris:{end}\r
SUMMARY:{summary}\r
LOCATION:{location}\r
SEQUENCE:{sequence}\r
LAST-MODIFIED:{modified}\r
END:VEVENT\r
"""


def vevent(uid, summary, start="20270315T140000", end="20270315T170000", location="Die",
           sequence=0, modified="20260101T090000Z"):
    return EVENT.format(uid=uid, summary=summary, start=start, end=end, location=location,
                        sequence=sequence, modified=modified)


class FeedServer:
    """A real HTTP server on 127.0.0.1 serving one .ics body, with ETag and Last-Modified."""

    def __init__(self):
        self.body = b""
        self.etag = '"v1"'
        self.requests = []  # (path, If-None-Match) per request
        self.redirects = {}  # path -> (status, Location) answered instead of the body
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, self.headers.get("If-None-Match")))
                if self.path in server.redirects:
                    status, location = server.redirects[self.path]
                    self.send_response(status)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", server.etag)
                self.send_header("Last-Modified", "Mon, 01 Jun 2026 08:00:00 GMT")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/agenda.ics"

    def serve(self, body: str, etag: str):
        self.body, self.etag = body.encode(), etag
