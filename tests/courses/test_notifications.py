"""Reminders 3 days and 3 hours before, date-change and replay notices: once each, with .ics."""

from datetime import timedelta

import icalendar
import sqlalchemy as sa

from app.courses import notifications, operations
from app.courses.models import ConsentState, Notification, Registration, SpeakerRole
from app.extensions import db


def _ics_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_reminders_3_days_and_3_hours_before_each_sent_once(app, make_course, learners, outbox):
    course = make_course(sessions=1)
    session = course.sessions[0]
    early, late = learners(2)
    early_reg = operations.register(course, early)
    late_reg = operations.register(course, late)
    db.session.commit()
    # early registered 10 days before; late registered 2 days before the session.
    early_reg.created_dt = session.start_dt - timedelta(days=10)
    late_reg.created_dt = session.start_dt - timedelta(days=2)
    db.session.commit()

    # Four days before: nothing is due yet.
    assert notifications.queue_due_reminders(session.start_dt - timedelta(days=4)) == 0
    three_days = session.start_dt - timedelta(days=2, hours=23)
    assert notifications.queue_due_reminders(three_days) == 1
    db.session.commit()
    assert notifications.queue_due_reminders(three_days + timedelta(minutes=5)) == 0
    assert notifications.deliver_pending() == 1
    (mail,) = outbox()
    assert mail["To"] == early.email and "Dans 3 jours" in mail["Subject"]
    event = next(iter(_ics_of(mail).walk("VEVENT")))
    assert str(event["UID"]) == session.ical_uid
    assert session.live_url in str(event["DESCRIPTION"])  # the learner's own attachment

    # Three hours before: both registered before that point get it, once.
    two_hours = session.start_dt - timedelta(hours=2, minutes=50)
    assert notifications.queue_due_reminders(two_hours) == 2
    db.session.commit()
    assert notifications.queue_due_reminders(two_hours) == 0
    assert notifications.deliver_pending() == 2
    assert notifications.deliver_pending() == 0
    later = [m for m in outbox() if "Dans 3 heures" in m["Subject"]]
    assert sorted(m["To"] for m in later) == sorted([early.email, late.email])
    assert len(outbox()) == 3


def test_learner_registered_after_the_reminder_point_is_skipped(app, make_course, make_user):
    course = make_course(sessions=1)
    session = course.sessions[0]
    reg = operations.register(course, make_user())
    db.session.commit()
    reg.created_dt = session.start_dt - timedelta(hours=1)
    db.session.commit()
    assert notifications.queue_due_reminders(session.start_dt - timedelta(hours=2, minutes=59)) == 0
    assert notifications.queue_due_reminders(session.start_dt - timedelta(minutes=30)) == 0


def test_rescheduling_sends_a_notice_with_the_new_date(app, make_course, make_user, outbox):
    course = make_course(sessions=2)
    learner = make_user()
    operations.register(course, learner)
    db.session.commit()
    session = course.sessions[0]
    new_start = session.start_dt + timedelta(days=2)
    operations.update_session(session, start_dt=new_start, end_dt=new_start + timedelta(hours=1))
    db.session.commit()
    operations.update_session(session, title="Nouveau titre")  # no date change: no new mail
    db.session.commit()
    assert notifications.deliver_pending() == 1
    (mail,) = outbox()
    assert "Changement de date" in mail["Subject"]
    event = next(iter(_ics_of(mail).walk("VEVENT")))
    # Built when sent, so it carries the latest state (date and title changed: SEQUENCE 2).
    assert event.decoded("DTSTART") == new_start and event["SEQUENCE"] == 2
    # The reminder for the new date is still due later.
    assert notifications.queue_due_reminders(new_start - timedelta(hours=2)) == 1


def test_replay_needs_every_speaker_consent_and_a_withdrawal_unpublishes(
    app, make_course, make_person, make_user, ready_asset, outbox
):
    course = make_course(sessions=1)
    learner = make_user()
    operations.register(course, learner)
    session = course.sessions[0]
    witness = operations.add_speaker(session, make_person("Jeanne Témoin"), SpeakerRole.TESTIMONY)
    host = operations.add_speaker(session, make_person("Léa Animatrice"), SpeakerRole.HOST)
    operations.attach_replay(session, ready_asset())
    db.session.commit()
    try:
        operations.publish_replay(session)
    except operations.CourseError as exc:
        assert "Jeanne Témoin" in str(exc) and "Léa Animatrice" in str(exc)
    else:
        raise AssertionError("published without consent")
    operations.set_speaker_consent(host, ConsentState.GRANTED, None)
    operations.set_speaker_consent(witness, ConsentState.GRANTED, None)
    operations.publish_replay(session)
    db.session.commit()
    assert session.replay_is_public
    assert notifications.deliver_pending() == 1
    (mail,) = outbox()
    assert "replay est en ligne" in mail["Subject"] and mail["To"] == learner.email

    operations.set_speaker_consent(witness, ConsentState.WITHDRAWN, None)
    db.session.commit()
    assert not session.replay_is_public


def test_failed_sends_are_kept_and_retried(app, make_course, make_user, monkeypatch, outbox):
    course = make_course(capacity=1)
    operations.register(course, make_user())
    waiting = make_user()
    operations.register(course, waiting)
    first = db.session.scalar(sa.select(Registration).order_by(Registration.id))
    operations.cancel_registration(course, first.user)
    db.session.commit()

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    assert notifications.deliver_pending() == 0
    row = db.session.scalar(sa.select(Notification))
    assert row.sent_dt is None and row.attempts == 1 and "SMTP down" in row.error
    monkeypatch.undo()
    assert notifications.deliver_pending() == 1
    assert [m["To"] for m in outbox()] == [waiting.email]


def test_periodic_task_queues_and_sends_reminders(app, make_course, make_user, outbox):
    from datetime import UTC, datetime

    from workers.courses import send_reminders

    course = make_course(sessions=1, start=(datetime.now(UTC) + timedelta(hours=2)))
    reg = operations.register(course, make_user())
    reg.created_dt = course.sessions[0].start_dt - timedelta(days=5)
    db.session.commit()
    assert send_reminders.apply().get() == 1
    assert send_reminders.apply().get() == 0
    (mail,) = outbox()
    assert "Dans 3 heures" in mail["Subject"]


def test_a_speaker_with_an_account_withdraws_consent_from_the_session_page(
    client, make_course, make_person, login_as, ready_asset
):
    course = make_course(sessions=1)
    session = course.sessions[0]
    speaker_user = login_as()
    speaker = operations.add_speaker(
        session, make_person("Amina Benali", user_id=speaker_user.id), SpeakerRole.TESTIMONY
    )
    operations.set_speaker_consent(speaker, ConsentState.GRANTED, None)
    operations.attach_replay(session, ready_asset())
    operations.publish_replay(session)
    db.session.commit()
    url = f"/se-former/{course.slug}/seances/{session.id}"
    assert "Retirer mon accord" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/accord", data={"consent": "withdrawn"})
    db.session.expire_all()
    assert not db.session.get(type(session), session.id).replay_is_public
    assert client.get(f"{url}/replay/video").status_code == 404
    client.post("/compte/deconnexion")
    login_as()  # someone else cannot answer for the speaker
    assert client.post(f"{url}/accord", data={"consent": "granted"}).status_code == 403
