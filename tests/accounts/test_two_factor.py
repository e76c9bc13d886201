"""Two-factor sign-in: set-up, the code step at login, replays, expiry, switching it off."""

import re
import time

import pytest
from sqlmodel import Session, select

from matcher.accounts import two_factor
from matcher.db import make_engine
from matcher.models import ProviderStatus, User
from matcher.web.auth.pending import LOGIN_KEY, LOGIN_MAX_AGE
from tests.auth_helpers import (
    PROVIDER_PASSWORD,
    code_at,
    csrf_token,
    enrol_two_factor,
    enter_code,
    login,
    logout,
    make_provider_user,
    offered_totp_secret,
    post_form,
    two_factor_state,
    wrong_code,
)
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider

SETUP = "/account/two-factor"
STEP = "/login/two-factor"


def provider_login(db):
    """A verified provider with a confirmed login (no two-factor yet)."""
    provider = make_provider(db, status=ProviderStatus.VERIFIED)
    make_provider_user(db, provider)
    return provider.email


# ---------------------------------------------------------------- set-up


def test_enrolment_refuses_a_wrong_code_and_saves_nothing(client, db):
    email = provider_login(db)
    login(client, email, PROVIDER_PASSWORD)
    secret = offered_totp_secret(client)
    response = post_form(client, SETUP, {"code": wrong_code(secret)})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "code")
    assert two_factor_state(db, email)[0] is None


def test_enrolment_with_the_current_code_stores_the_secret_sealed(client, db):
    email = provider_login(db)
    login(client, email, PROVIDER_PASSWORD)
    secret = offered_totp_secret(client)
    assert offered_totp_secret(client) == secret  # a reload keeps the QR code the app scanned
    response = post_form(client, SETUP, {"code": code_at(secret)})
    assert response.status_code == 303
    sealed, last_step, _ = two_factor_state(db, email)
    assert sealed and secret not in sealed
    assert two_factor.unseal(sealed) == secret
    assert last_step is not None
    assert "Two-factor sign-in is on" in client.get(SETUP).get_data(as_text=True)


def test_the_setup_page_shows_a_qr_code_and_the_uri_and_is_never_cached(client, db):
    email = provider_login(db)
    login(client, email, PROVIDER_PASSWORD)
    page = client.get(SETUP)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and "otpauth://totp/CertMatch:" in html
    # Nothing inline that the CSP (style-src/script-src 'self') would block: the QR code is
    # plain SVG, and the only scripts are the site's own files.
    assert "style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=\"/static/)", html) is None


def test_enrolling_ends_every_session_cookie_issued_before_it(app, db):
    email = provider_login(db)
    here = app.test_client()
    login(here, email, PROVIDER_PASSWORD)
    with here.session_transaction() as saved:
        older = dict(saved)  # a copy someone took while the password alone was enough
    post_form(here, SETUP, {"code": code_at(offered_totp_secret(here))})
    replay = app.test_client()
    with replay.session_transaction() as cookie:
        cookie.update(older)
    assert replay.get("/provider/").status_code == 302
    assert here.get("/provider/").status_code == 200


# ---------------------------------------------------------------- the code step


def test_login_with_two_factor_asks_for_a_code_before_letting_anyone_in(client, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    response = login(client, email, PROVIDER_PASSWORD, second_step=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(STEP)
    assert client.get("/provider/").status_code == 302  # not logged in yet
    done = enter_code(client, code_at(secret))
    assert done.status_code == 303 and done.headers["Location"].endswith("/provider/")
    assert client.get("/provider/").status_code == 200


def test_a_wrong_code_is_refused(client, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    far_off = code_at(secret, offset=5)  # a real code, but minutes away from now
    for code in (far_off, wrong_code(secret), "12ab56"):
        response = enter_code(client, code)
        assert response.status_code == 422
        assert field_errors(response.get_data(as_text=True), "code")
    assert client.get("/provider/").status_code == 302


def test_a_code_cannot_be_used_twice(client, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    code = code_at(secret)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    assert enter_code(client, code).status_code == 303
    logout(client)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    replay = enter_code(client, code)
    assert replay.status_code == 422
    assert "used already" in replay.get_data(as_text=True)
    assert client.get("/provider/").status_code == 302


def test_the_code_that_confirmed_the_setup_cannot_sign_in(client, db):
    email = provider_login(db)
    login(client, email, PROVIDER_PASSWORD)
    secret = offered_totp_secret(client)
    code = code_at(secret)
    post_form(client, SETUP, {"code": code})
    logout(client)
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    assert enter_code(client, code).status_code == 422


def test_digits_of_other_scripts_are_never_a_code(db):
    secret = two_factor.new_secret()
    arabic_indic = code_at(secret).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert arabic_indic.isdigit()  # what let them through before
    assert two_factor.matching_step(secret, arabic_indic, after=None) is None
    user = db.get(User, make_provider_user(db, make_provider(db)).id)
    assert not two_factor.enable(db, user, secret, arabic_indic)
    db.rollback()


def test_two_racing_requests_with_one_code_do_not_both_win(app, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    engine = make_engine(app.config["DATABASE_URL"], immediate=False)
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        # Both read the user before either accepts: both see "no step used yet".
        slow = first.exec(select(User).where(User.email == email)).one()
        first.commit()
        fast = second.exec(select(User).where(User.email == email)).one()
        assert two_factor.accept_code(second, fast, code_at(secret))
        second.commit()
        assert not two_factor.accept_code(first, slow, code_at(secret))
        first.rollback()
    engine.dispose()


def test_a_pending_sign_in_expires_after_a_few_minutes(client, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    with client.session_transaction() as cookie:
        state = dict(cookie[LOGIN_KEY])
        state["at"] = int(time.time()) - LOGIN_MAX_AGE - 1
        cookie[LOGIN_KEY] = state
    token = csrf_token(client, "/login")
    response = client.post(STEP, data={"code": code_at(secret), "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert client.get("/provider/").status_code == 302
    assert "timed out" in client.get("/login").get_data(as_text=True)


def test_the_code_step_without_a_password_first_goes_back_to_login(client):
    response = client.get(STEP)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")


def test_the_code_step_is_rate_limited_like_login(app, client, db):
    app.config["RATE_LIMIT_LOGIN"] = "3 per minute"
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    wrong = code_at(secret, offset=10)
    codes = [enter_code(client, wrong).status_code for _ in range(3)]
    codes.append(enter_code(client, code_at(secret)).status_code)
    assert codes == [422, 422, 422, 429]


def test_guessing_one_account_s_code_from_many_addresses_is_still_limited(app, client, db):
    app.config["RATE_LIMIT_LOGIN_ACCOUNT"] = "3 per minute"
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    token = csrf_token(client, STEP)
    codes = [
        client.post(
            STEP,
            data={"code": wrong_code(secret), "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(1, 5)
    ]
    assert codes == [422, 422, 422, 429]


# ---------------------------------------------------------------- switching off


def test_switching_off_needs_the_password_and_a_code(client, db):
    email = provider_login(db)
    secret = enrol_two_factor(db, db.exec(select(User).where(User.email == email)).one())
    login(client, email, PROVIDER_PASSWORD, second_step=False)
    enter_code(client, code_at(secret))
    off = "/account/two-factor/disable"
    bad_password = post_form(
        client, off, {"password": "not my password", "code": code_at(secret, 1)}, token_from=SETUP
    )
    assert bad_password.status_code == 422
    assert field_errors(bad_password.get_data(as_text=True), "password")
    bad_code = post_form(
        client, off, {"password": PROVIDER_PASSWORD, "code": code_at(secret, 9)}, token_from=SETUP
    )
    assert bad_code.status_code == 422
    assert field_errors(bad_code.get_data(as_text=True), "code")
    assert two_factor_state(db, email)[0] is not None
    done = post_form(
        client, off, {"password": PROVIDER_PASSWORD, "code": code_at(secret, 1)}, token_from=SETUP
    )
    assert done.status_code == 303
    assert two_factor_state(db, email)[:2] == (None, None)
    logout(client)
    assert (
        login(client, email, PROVIDER_PASSWORD, second_step=False)
        .headers["Location"]
        .endswith("/provider/")
    )


# ---------------------------------------------------------------- CSRF


@pytest.mark.parametrize("path", [STEP, SETUP, "/account/two-factor/disable"])
def test_two_factor_forms_refuse_a_post_without_its_csrf_token(client, db, path):
    email = provider_login(db)
    user = db.exec(select(User).where(User.email == email)).one()
    secret = enrol_two_factor(db, user) if path != SETUP else None
    login(client, email, PROVIDER_PASSWORD, second_step=path == "/account/two-factor/disable")
    data = {"code": code_at(secret) if secret else "123456", "password": PROVIDER_PASSWORD}
    assert client.post(path, data=data).status_code == 400
    assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
