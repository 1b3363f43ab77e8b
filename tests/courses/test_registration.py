"""Registration: no duplicates, capacity and FIFO waiting list, promotion with an e-mail."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.core.db import utcnow
from app.courses import notifications, operations
from app.courses.models import Course, Notification, Registration, RegistrationStatus
from app.extensions import db


def _statuses(course_id):
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.course_id == course_id)
            .order_by(Registration.id)
        )
    )


def test_registering_twice_keeps_one_registration(client, make_course, login_as):
    course = make_course(capacity=10)
    learner = login_as()
    for _ in range(2):
        response = client.post(f"/se-former/{course.slug}/inscription")
        assert response.status_code == 302
    rows = _statuses(course.id)
    assert len(rows) == 1 and rows[0].user_id == learner.id
    assert rows[0].status == RegistrationStatus.CONFIRMED
    assert db.session.get(Course, course.id).confirmed_count == 1


def test_unique_constraint_refuses_a_second_row(app, make_course, make_user):
    course = make_course()
    user = make_user()
    db.session.add(Registration(course_id=course.id, user_id=user.id, status="confirmed"))
    db.session.commit()
    db.session.add(Registration(course_id=course.id, user_id=user.id, status="confirmed"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_full_course_waitlists_then_cancel_promotes_first_and_mails_them(
    client, make_course, learners, outbox
):
    course = make_course(capacity=2)
    a, b, c, d = learners(4)
    regs = [operations.register(course, u) for u in (a, b, c, d)]
    db.session.commit()
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert operations.waitlist_rank(regs[2]) == 1 and operations.waitlist_rank(regs[3]) == 2

    _registration, promoted = operations.cancel_registration(course, a)
    db.session.commit()
    assert [r.user_id for r in promoted] == [c.id]
    rows = {r.user_id: r for r in _statuses(course.id)}
    assert rows[a.id].status == RegistrationStatus.CANCELLED
    assert rows[c.id].status == RegistrationStatus.CONFIRMED
    assert rows[d.id].status == RegistrationStatus.WAITLISTED
    assert operations.waitlist_rank(rows[d.id]) == 1
    fresh = db.session.get(Course, course.id)
    assert (fresh.confirmed_count, fresh.waitlist_count) == (2, 1)

    assert notifications.deliver_pending() == 1
    (message,) = outbox()
    assert message["To"] == c.email
    assert "place s'est libérée" in message["Subject"]
    assert course.title in message["Subject"]
    ics = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(ics) == 1
    # Sending again sends nothing: the row records it was sent.
    assert notifications.deliver_pending() == 0
    assert len(outbox()) == 1


def test_cancel_through_the_page_enqueues_and_promotes(client, make_course, make_user, login_as):
    course = make_course(capacity=1)
    first = login_as()
    client.post(f"/se-former/{course.slug}/inscription")
    waiting = make_user()
    operations.register(course, waiting)
    db.session.commit()
    page = client.get(f"/se-former/{course.slug}").get_data(as_text=True)
    assert "Annuler mon inscription" in page
    client.post(f"/se-former/{course.slug}/desinscription")
    rows = {r.user_id: r.status for r in _statuses(course.id)}
    assert rows == {first.id: "cancelled", waiting.id: "confirmed"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_raising_capacity_promotes_in_order(app, make_course, learners):
    course = make_course(capacity=1)
    users = learners(3)
    for u in users:
        operations.register(course, u)
    db.session.commit()
    operations.update_course(course, capacity=2)
    db.session.commit()
    rows = {r.user_id: r.status for r in _statuses(course.id)}
    assert [rows[u.id] for u in users] == ["confirmed", "confirmed", "waitlisted"]


def test_registration_closed_for_drafts_and_finished_courses(app, make_course, make_user):
    user = make_user()
    draft = make_course(published=False)
    past = make_course(start=utcnow() - timedelta(days=30), sessions=1)
    for course in (draft, past):
        with pytest.raises(operations.CourseError):
            operations.register(course, user)
        db.session.rollback()


@pytest.mark.services
def test_concurrent_registrations_never_exceed_capacity(app, make_course, learners):
    """20 learners register at once for 5 seats: 5 confirmed, 15 waitlisted in arrival order.

    Runs on PostgreSQL when TEST_DATABASE_URL is set (row lock), otherwise on SQLite (writer lock).
    """
    course = make_course(capacity=5)
    user_ids = [u.id for u in learners(20)]
    course_id = course.id
    db.session.remove()
    barrier = threading.Barrier(len(user_ids))
    errors = []

    def worker(user_id):
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Course, course_id)
                # Give the connection back while waiting: the pool is smaller than 20.
                db.session.commit()
                barrier.wait(timeout=30)
                operations.register(target, user)
                db.session.commit()
            except Exception as exc:  # reported below; a thread cannot fail the test itself
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    rows = _statuses(course_id)
    assert len(rows) == 20
    confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
    waitlisted = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert len(confirmed) == 5 and len(waitlisted) == 15
    # FIFO: positions 1..15, in the order the registrations were made.
    by_position = sorted(waitlisted, key=lambda r: r.waitlist_position)
    assert [r.waitlist_position for r in by_position] == list(range(1, 16))
    assert [r.created_dt for r in by_position] == sorted(r.created_dt for r in waitlisted)
    assert max(r.created_dt for r in confirmed) <= min(r.created_dt for r in waitlisted)
    fresh = db.session.get(Course, course_id)
    assert (fresh.confirmed_count, fresh.waitlist_count) == (5, 15)

    # One confirmed learner cancels: the first of the waiting list gets the seat and an e-mail.
    leaver = db.session.get(User, confirmed[0].user_id)
    _reg, promoted = operations.cancel_registration(fresh, leaver)
    db.session.commit()
    assert [r.id for r in promoted] == [by_position[0].id]
    note = db.session.scalar(sa.select(Notification))
    assert note.user_id == by_position[0].user_id and note.kind == "promoted"
