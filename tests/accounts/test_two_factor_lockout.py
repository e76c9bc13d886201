"""Wrong codes in a row lock an account's code step for longer and longer, and tell its owner."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from matcher import create_app
from matcher.accounts import two_factor, users
from matcher.accounts.two_factor_lockout import FREE_TRIES, lock_for
from matcher.db import make_engine
from matcher.models import ProviderStatus, User, utcnow
from tests.auth_helpers import (
    PROVIDER_PASSWORD,
    code_at,
    enrol_two_factor,
    enter_code,
    lock_state,
    login,
    make_provider_user,
    owner_mails,
    post_form,
    two_factor_state,
    unused_code,
    wrong_code,
)
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider


def enrolled_provider(db) -> tuple[str, str]:
    """A verified provider's login with two-factor sign-in: (e-mail, secret)."""
    provider = make_provider(db, status=ProviderStatus.VERIFIED)
    user = make_provider_user(db, provider)
    return provider.email, enrol_two_factor(db, user)


def lock_ran_out(db, email: str) -> None:
    """Move the lock into the past, as waiting it out would."""
    db.commit()  # a stale SQLite read snapshot cannot write
    db.execute(update(User).where(User.email == email).values(totp_locked_until=utcnow()))
    db.commit()


def minutes_left(until) -> float:
    return (until - utcnow()).total_seconds() / 60


def test_the_delay_grows_with_every_wrong_code_past_the_free_tries():
    assert [lock_for(n) for n in range(FREE_TRIES)] == [None] * FREE_TRIES
    minutes = [lock_for(n) / timedelta(minutes=1) for n in range(FREE_TRIES, FREE_TRIES + 8)]
    assert minutes == [1, 5, 30, 120, 720, 1440, 1440, 1440]


def test_five_wrong_codes_lock_the_code_step_even_against_the_right_code(app, client, db):
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    statuses = [enter_code(client, wrong_code(secret)).status_code for _ in range(FREE_TRIES)]
    assert statuses == [422] * (FREE_TRIES - 1) + [429]
    failures, until = lock_state(db, email)
    assert failures == FREE_TRIES and 0.5 < minutes_left(until) <= 1
    refused = enter_code(client, unused_code(app, email))
    assert refused.status_code == 429
    assert "locked until" in field_errors(refused.get_data(as_text=True), "code")[0]
    assert client.get("/provider/").status_code == 302
    assert two_factor_state(db, email)[1] is None  # the right code was not used up either


def test_the_owner_is_mailed_once_when_the_lock_first_triggers(client, db):
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    for _ in range(FREE_TRIES - 1):
        enter_code(client, wrong_code(secret))
    assert owner_mails(db, email) == []
    enter_code(client, wrong_code(secret))
    ((template, body),) = owner_mails(db, email)
    assert template == "two_factor_locked"
    assert "If this wasn't you" in body and "/password/reset" in body
    lock_ran_out(db, email)
    assert enter_code(client, wrong_code(secret)).status_code == 429
    failures, until = lock_state(db, email)
    assert failures == FREE_TRIES + 1 and 4 < minutes_left(until) <= 5  # the next, longer delay
    assert [t for t, _ in owner_mails(db, email)] == ["two_factor_locked"]


def test_a_right_code_after_the_lock_signs_in_and_starts_the_count_again(app, client, db):
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    for _ in range(FREE_TRIES):
        enter_code(client, wrong_code(secret))
    lock_ran_out(db, email)
    done = enter_code(client, unused_code(app, email))
    assert done.status_code == 303 and done.headers["Location"].endswith("/provider/")
    assert lock_state(db, email) == (0, None)


def test_wrong_codes_count_per_account_across_browsers(app, db):
    email, secret = enrolled_provider(db)
    first, second = app.test_client(), app.test_client()
    login(first, email, PROVIDER_PASSWORD, second_step=False)
    login(second, email, PROVIDER_PASSWORD, second_step=False)
    for _ in range(FREE_TRIES - 2):
        assert enter_code(first, wrong_code(secret)).status_code == 422
    assert enter_code(second, wrong_code(secret)).status_code == 422
    assert enter_code(second, wrong_code(secret)).status_code == 429
    assert enter_code(first, unused_code(app, email)).status_code == 429


def test_a_second_web_instance_and_a_restart_see_the_same_count(app, client, db):
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    for _ in range(FREE_TRIES - 1):
        assert enter_code(client, wrong_code(secret)).status_code == 422
    # A fresh app process on the same database, as behind a load balancer or after a restart.
    shared = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BASE_URL", "RATELIMIT_STORAGE_URI")
    other = create_app({key: app.config[key] for key in shared})
    other.test_client_class = type(client)
    elsewhere = other.test_client()
    with client.session_transaction() as cookie:
        half_done = dict(cookie)
    with elsewhere.session_transaction() as cookie:
        cookie.update(half_done)
    try:
        assert enter_code(elsewhere, wrong_code(secret)).status_code == 429
        assert enter_code(elsewhere, unused_code(app, email)).status_code == 429
    finally:
        other.extensions["certmatch.engine"].dispose()
    assert enter_code(client, unused_code(app, email)).status_code == 429


def test_wrong_codes_when_switching_off_count_too_and_the_lock_holds_there(app, client, db):
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD)
    off = "/account/two-factor/disable"
    form = {"password": PROVIDER_PASSWORD}
    for _ in range(FREE_TRIES):
        post_form(
            client, off, {**form, "code": wrong_code(secret)}, token_from="/account/two-factor"
        )
    refused = post_form(
        client, off, {**form, "code": code_at(secret, 1)}, token_from="/account/two-factor"
    )
    assert refused.status_code == 422
    assert "locked until" in field_errors(refused.get_data(as_text=True), "code")[0]
    assert two_factor_state(db, email)[0] is not None


def test_a_right_code_racing_the_wrong_code_that_locked_the_step_loses(app, db):
    email, secret = enrolled_provider(db)
    engine = make_engine(app.config["DATABASE_URL"], immediate=False)
    with Session(engine, expire_on_commit=False) as racer:
        user = racer.exec(select(User).where(User.email == email)).one()  # read before the lock
        racer.commit()
        db.execute(
            update(User)
            .where(User.email == email)
            .values(totp_failures=FREE_TRIES, totp_locked_until=utcnow() + timedelta(minutes=1))
        )
        db.commit()
        assert not two_factor.accept_code(racer, user, code_at(secret))
        racer.rollback()
    engine.dispose()
    assert lock_state(db, email)[0] == FREE_TRIES


def test_a_new_password_lifts_the_lock_and_starts_the_count_again(app, client, db):
    """The lock mail says 'choose a new password': the owner who does must not stay locked."""
    email, secret = enrolled_provider(db)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    for _ in range(FREE_TRIES):
        locked = enter_code(client, wrong_code(secret))
    assert str(utcnow().year) in field_errors(locked.get_data(as_text=True), "code")[0]
    db.commit()  # a stale SQLite read snapshot cannot write
    user = db.exec(select(User).where(User.email == email)).one()
    users.set_password(db, user, "a brand new passphrase for the owner")
    db.commit()
    assert lock_state(db, email) == (0, None)
