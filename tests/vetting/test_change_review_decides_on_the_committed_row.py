"""An admin's review of a provider's parked changes decides on the row as committed, locked.

A proposal the provider sends while the admin approves must survive, two approvals of one
proposal add its rows once and mail once, and a form that does not say which proposal the
admin read decides nothing.
"""

import re
import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from matcher.models import Provider, ProviderKind
from matcher.providers import profile_edits
from matcher.vetting import change_review
from matcher.vetting.decisions import DecisionError
from tests.auth_helpers import ADMIN_PASSWORD, csrf_token, login, make_admin
from tests.lead_helpers import act, mails
from tests.provider_factories import make_provider, qualification_names, waiting_qualifications

EXPIRES = date.today() + timedelta(days=400)
CHECKED = {"name": "IRCA lead auditor ISO 9001", "issuer": "CQI/IRCA", "number": "IR-42"}
NEW = {"name": "Lead auditor ISO 14001", "issuer": "Exemplar Global", "number": "EG-7"}
LATER = {"name": "Lead auditor ISO 27001", "issuer": "Exemplar Global", "number": "EG-8"}


def _consultant(db) -> int:
    provider = make_provider(
        db, kind=ProviderKind.CONSULTANT, accreditation_body=None, standards=["iso9001"],
        sectors=[17], qualifications=[{**CHECKED, "expires_on": EXPIRES}],
    )  # fmt: skip
    return provider.id


def _propose(app, provider_id: int, *added) -> str:
    """The consultant sends its checked qualification plus `added`; the proposal's date."""
    rows = [{**q, "expires_on": EXPIRES} for q in (CHECKED, *added)]

    def save(session, provider_id):
        provider = session.get(Provider, provider_id)
        profile_edits.save_profile(
            session, provider, fields={}, coverage_lists={}, reviewed={},
            qualifications=rows, actor_id=None,
        )  # fmt: skip
        return provider.pending_changes["submitted_at"]

    return act(app, save, provider_id=provider_id)


def _session(app) -> Session:
    """A session as a request gets one (matcher/db.py): what it read stays after a commit."""
    return Session(app.extensions["certmatch.engine"], expire_on_commit=False)


def _approve(session, provider_id: int, submitted_at: str | None):
    provider = session.get(Provider, provider_id)
    change_review.apply_pending_changes(session, provider, actor_id=None, submitted_at=submitted_at)


def _admin_form(app, db, provider_id: int):
    """An admin client on the provider page; the review form's fields as the page has them."""
    admin = app.test_client()
    user = make_admin(db, email="ops@certmatch.example")
    assert login(admin, user.email, ADMIN_PASSWORD).status_code == 303
    page = f"/admin/providers/{provider_id}"
    html = admin.get(page).get_data(as_text=True)
    seen = re.search(r'name="submitted_at" value="([^"]*)"', html).group(1)
    return admin, {"csrf_token": csrf_token(admin, page), "action": "approve", "submitted_at": seen}


def test_posting_the_same_approval_twice_adds_the_rows_once_and_mails_once(app, db):
    provider_id = _consultant(db)
    _propose(app, provider_id, NEW)
    admin, form = _admin_form(app, db, provider_id)
    changes = f"/admin/providers/{provider_id}/changes"

    assert admin.post(changes, data=form).status_code == 303
    assert admin.post(changes, data=form).status_code == 409

    assert qualification_names(db, provider_id) == [CHECKED["name"], NEW["name"]]
    assert len(mails(db, "provider_changes_approved")) == 1


@pytest.mark.parametrize("action", ["approve", "refuse"])
def test_a_review_that_does_not_say_which_proposal_it_read_changes_nothing(app, db, action):
    provider_id = _consultant(db)
    _propose(app, provider_id, NEW)
    admin, form = _admin_form(app, db, provider_id)
    del form["submitted_at"]
    form |= {"action": action, "reason": "The EG-7 number is unknown."}

    response = admin.post(f"/admin/providers/{provider_id}/changes", data=form)

    assert response.status_code == 409
    assert "changed its proposal since you opened it" in response.get_data(as_text=True)
    assert qualification_names(db, provider_id) == [CHECKED["name"]]
    assert waiting_qualifications(db, provider_id) == [NEW["name"]]
    assert mails(db, "provider_changes_approved") == mails(db, "provider_changes_refused") == []


def test_an_approval_read_before_another_one_committed_adds_nothing_more(app, db):
    provider_id = _consultant(db)
    seen = _propose(app, provider_id, NEW)
    with app.app_context(), _session(app) as late:
        # The late admin's request read the provider before the first approval committed,
        # and holds it (the session's identity map alone would let it go).
        read = late.get(Provider, provider_id)
        assert read.pending_changes["submitted_at"] == seen
        late.commit()
        act(app, _approve, provider_id=provider_id, submitted_at=seen)

        with pytest.raises(DecisionError, match="no changes waiting"):
            _approve(late, provider_id, seen)
        late.rollback()

    assert qualification_names(db, provider_id) == [CHECKED["name"], NEW["name"]]
    assert len(mails(db, "provider_changes_approved")) == 1


def test_a_proposal_sent_while_the_admin_approves_the_previous_one_is_kept(app, db):
    provider_id = _consultant(db)
    seen = _propose(app, provider_id, NEW)
    with app.app_context(), _session(app) as admin:
        read = admin.get(Provider, provider_id)
        assert read.pending_changes["submitted_at"] == seen
        admin.commit()
        _propose(app, provider_id, NEW, LATER)

        with pytest.raises(DecisionError, match="changed its proposal"):
            _approve(admin, provider_id, seen)
        admin.rollback()

    assert qualification_names(db, provider_id) == [CHECKED["name"]]
    assert waiting_qualifications(db, provider_id) == [NEW["name"], LATER["name"]]
    assert mails(db, "provider_changes_approved") == []


def test_two_admins_approving_at_once_on_postgresql_add_the_rows_once(app, db):
    engine = app.extensions["certmatch.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE already runs one writer at a time")
    provider_id = _consultant(db)
    seen = _propose(app, provider_id, NEW)
    outcome = {}

    def second_admin(ready: threading.Event):
        with app.app_context(), _session(app) as session:
            read = session.get(Provider, provider_id)  # while the first approval is uncommitted
            ready.set()
            try:
                change_review.apply_pending_changes(session, read, actor_id=None, submitted_at=seen)
                session.commit()
                outcome["second"] = "approved"
            except DecisionError as exc:
                session.rollback()
                outcome["second"] = str(exc)

    with app.app_context(), _session(app) as first:
        _approve(first, provider_id, seen)  # holds the provider's row lock until it commits
        ready = threading.Event()
        thread = threading.Thread(target=second_admin, args=(ready,))
        thread.start()
        assert ready.wait(10)
        time.sleep(0.3)
        assert thread.is_alive(), "the second approval must wait for the first one's lock"
        first.commit()
    thread.join(10)

    assert outcome["second"] == "There are no changes waiting for review."
    assert qualification_names(db, provider_id) == [CHECKED["name"], NEW["name"]]
    assert len(mails(db, "provider_changes_approved")) == 1
