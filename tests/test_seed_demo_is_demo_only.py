"""`certmatch seed-demo` belongs to the demo: elsewhere it refuses, or, forced, makes no admin
and gives every account a random password of its own."""

import re

from sqlmodel import SQLModel, func, select

from matcher.accounts.passwords import password_problem
from matcher.demo.data import ADMIN_EMAIL, ADMIN_PASSWORD, PROVIDER_PASSWORD
from matcher.models import Provider, Role, User
from tests.auth_helpers import login, logout

FORCE = "--i-know-this-is-not-production"
LOGIN_LINE = re.compile(r"^(certification body|consultant|admin) login: (\S+) / (\S.*)$", re.M)


def _row_counts(db) -> dict[str, int]:
    db.rollback()
    return {
        table.name: db.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
    }


def _seed(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_seed_demo_outside_demo_mode_refuses_and_writes_nothing(app, db):
    before = _row_counts(db)
    result = _seed(app)
    assert result.exit_code == 1
    assert "demo" in result.output and FORCE in result.output
    assert LOGIN_LINE.search(result.output) is None
    assert _row_counts(db) == before


def test_forced_seed_demo_makes_no_admin_and_prints_a_random_password_per_account(app, db, client):
    result = _seed(app, FORCE)
    assert result.exit_code == 0, result.output
    logins = LOGIN_LINE.findall(result.output)
    db.rollback()
    assert db.exec(select(User).where(User.role == Role.ADMIN)).all() == []
    emails = set(db.exec(select(User.email)))
    assert ADMIN_EMAIL not in emails
    assert {email for _, email, _ in logins} == emails
    assert len(emails) == db.exec(select(func.count()).select_from(Provider)).one() >= 60
    passwords = [password for _, _, password in logins]
    assert len(set(passwords)) == len(passwords)
    assert not {PROVIDER_PASSWORD, ADMIN_PASSWORD} & set(passwords)
    assert all(password_problem(p, [e]) is None for _, e, p in logins[:5])
    for _, email, password in (logins[0], logins[-1]):
        assert login(client, email, password).status_code == 303, email
        logout(client)
    assert login(client, logins[0][1], PROVIDER_PASSWORD).status_code != 303
    assert client.get("/dev/mail").status_code == 404


def test_forcing_it_again_adds_nothing_and_prints_no_passwords(app, db):
    _seed(app, FORCE)
    before = _row_counts(db)
    again = _seed(app, FORCE)
    assert again.exit_code == 0, again.output
    assert LOGIN_LINE.search(again.output) is None
    assert "already" in again.output
    assert _row_counts(db) == before


def test_seed_demo_in_demo_mode_still_prints_the_known_demo_logins(app, db, client):
    app.config["CERTMATCH_DEMO"] = True
    result = _seed(app)
    assert result.exit_code == 0, result.output
    logins = LOGIN_LINE.findall(result.output)
    assert ("admin", ADMIN_EMAIL, ADMIN_PASSWORD) in logins
    assert {password for role, _, password in logins if role != "admin"} == {PROVIDER_PASSWORD}
    for _, email, password in logins:
        assert login(client, email, password).status_code == 303, email
        logout(client)
