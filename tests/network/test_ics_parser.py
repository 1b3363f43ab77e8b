"""The tolerant .ics parser on its own (no app, no network)."""

from app.network.ics import parse_feed


def cal(body: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FR\r\n" + body
            + "END:VCALENDAR\r\n").encode()


def test_all_day_floating_duration_and_utc_events():
    result = parse_feed(cal(
        "BEGIN:VEVENT\r\nUID:allday\r\nDTSTART;VALUE=DATE:20270601\r\nSUMMARY:Fête\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:floating\r\nDTSTART:20270115T100000\r\nDURATION:PT90M\r\n"
        "SUMMARY:Atelier\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:utc\r\nDTSTART:20270115T100000Z\r\nDTEND:20270115T110000Z\r\n"
        "SUMMARY:Visio\r\nLOCATION:https://visio.example.org/abc\r\nSTATUS:CANCELLED\r\n"
        "END:VEVENT\r\n"
    ))
    assert result.problems == []
    events = {e.uid: e for e in result.events}
    assert events["allday"].start_dt.isoformat() == "2027-05-31T22:00:00+00:00"  # Paris midnight
    assert (events["allday"].end_dt - events["allday"].start_dt).days == 1
    assert events["floating"].start_dt.isoformat() == "2027-01-15T09:00:00+00:00"  # Paris time
    assert (events["floating"].end_dt - events["floating"].start_dt).seconds == 90 * 60
    visio = events["utc"]
    assert visio.online and visio.link == "https://visio.example.org/abc" and visio.place == ""
    assert visio.cancelled


def test_bad_events_are_reported_one_by_one():
    result = parse_feed(cal(
        "BEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:Sans date\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:notitle\r\nDTSTART:20270115T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:toolong\r\nDTSTART:20270115T100000Z\r\nDTEND:20280115T100000Z\r\n"
        "SUMMARY:Un an\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:old\r\nDTSTART:18000115T100000Z\r\nSUMMARY:Ancien\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20270115T100000Z\r\nSUMMARY:Bon\r\nEND:VEVENT\r\n"
    ))
    assert [e.uid for e in result.events] == ["ok"]
    assert {p["uid"] for p in result.problems} == {"nostart", "notitle", "toolong", "old"}


def test_not_a_calendar_and_too_many_events():
    assert parse_feed(b"\x00\xff garbage").problems[0]["uid"] is None
    many = cal("".join(
        f"BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:20270115T100000Z\r\nSUMMARY:E{i}\r\nEND:VEVENT\r\n"
        for i in range(12)
    ))
    result = parse_feed(many, max_events=10)
    assert len(result.events) == 10 and result.problems[-1]["reason"] == "trop d'évènements"
