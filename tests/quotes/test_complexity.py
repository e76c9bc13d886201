"""Sector complexity: an admin maps IAF sectors, and ISO 14001/45001 estimates use the mapping."""

import pytest
from sqlmodel import func, select

from matcher.iso.audit_time import initial_audit_days
from matcher.models import AuditLog, Quote
from matcher.models.providers import SectorComplexity
from matcher.quotes import complexity
from matcher.quotes.indicative import facts_of
from tests.auth_helpers import (
    ADMIN_PASSWORD,
    PROVIDER_PASSWORD,
    csrf_token,
    login,
    make_admin,
    make_provider_user,
)
from tests.lead_helpers import request_path
from tests.market import confirmed_request, fresh, make_cb
from tests.page_helpers import field_errors
from tests.provider_factories import make_provider
from workers.matching import match_request

CHEMICALS = 12  # IAF sector 12: chemicals, chemical products and fibres
METALS = 17


@pytest.fixture
def admin_client(client, db):
    admin = make_admin(db)
    login(client, admin.email, ADMIN_PASSWORD)
    client.admin = admin
    return client


def mappings(db) -> list[tuple]:
    fresh(db)
    return [(m.standard, m.sector, m.complexity) for m in complexity.all_mappings(db)]


def audit_actions(db) -> list[str]:
    fresh(db)
    rows = db.exec(
        select(AuditLog).where(AuditLog.object_type == "sector_complexity").order_by(AuditLog.id)
    )
    return [row.action for row in rows]


def set_mapping(client, **data):
    token = csrf_token(client, "/admin/complexity")
    return client.post("/admin/complexity", data={"csrf_token": token, **data})


def indicative_quote(app, db, sector: int) -> tuple[Quote, str]:
    """Match an ISO 14001 request in `sector`; return its indicative quote and business page."""
    quote_request = confirmed_request(db, standards="iso14001", sector=sector)
    with app.app_context():
        match_request(quote_request.id)
    fresh(db)
    (quote,) = db.exec(select(Quote).where(Quote.request_id == quote_request.id)).all()
    return quote, request_path(app, quote_request)


def test_a_high_complexity_sector_gives_an_iso14001_estimate_more_days_than_medium(
    app, db, client, admin_client
):
    make_cb(db, scope=(("iso14001", CHEMICALS), ("iso14001", METALS)))
    assert (
        set_mapping(
            admin_client, standard="iso14001", sector=str(CHEMICALS), complexity="high"
        ).status_code
        == 303
    )

    mapped, mapped_page = indicative_quote(app, db, CHEMICALS)
    unmapped, unmapped_page = indicative_quote(app, db, METALS)

    high = initial_audit_days("iso14001", 45, "high").days
    medium = initial_audit_days("iso14001", 45, "medium").days
    assert high > medium
    assert mapped.stage1_days + mapped.stage2_days == high
    assert unmapped.stage1_days + unmapped.stage2_days == medium
    assert mapped.three_year_total > unmapped.three_year_total
    assert not any("medium complexity assumed" in line for line in mapped.working["assumptions"])
    assert any("high complexity" in line for line in mapped.working["assumptions"])
    assert any("medium complexity assumed" in line for line in unmapped.working["assumptions"])

    page = client.get(mapped_page).get_data(as_text=True)
    assert "high complexity" in page and "medium complexity assumed" not in page
    other = client.get(unmapped_page).get_data(as_text=True)
    assert "medium complexity assumed" in other


def test_the_facts_carry_only_the_mapped_standards_of_the_request_sector(db):
    db.commit()
    complexity.set_complexity(
        db, standard="iso45001", sector=CHEMICALS, complexity="low", actor_id=None
    )
    complexity.set_complexity(
        db, standard="iso14001", sector=METALS, complexity="limited", actor_id=None
    )
    db.commit()
    quote_request = confirmed_request(db, standards="iso9001 iso14001 iso45001", sector=CHEMICALS)
    assert dict(facts_of(quote_request, db).complexities) == {"iso45001": "low"}
    assert dict(facts_of(quote_request).complexities) == {}


def test_a_category_the_standard_lacks_is_refused_by_the_domain(db):
    with pytest.raises(complexity.ComplexityError):
        complexity.set_complexity(
            db, standard="iso45001", sector=METALS, complexity="limited", actor_id=None
        )
    with pytest.raises(complexity.ComplexityError):
        complexity.set_complexity(
            db, standard="iso9001", sector=METALS, complexity="high", actor_id=None
        )


def test_an_admin_sets_changes_and_clears_a_mapping_with_an_audit_trail(admin_client, db):
    home = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/complexity"' in home

    assert (
        set_mapping(
            admin_client, standard="iso14001", sector=str(CHEMICALS), complexity="high"
        ).status_code
        == 303
    )
    assert (
        set_mapping(
            admin_client, standard="iso14001", sector=str(CHEMICALS), complexity="low"
        ).status_code
        == 303
    )
    assert mappings(db) == [("iso14001", CHEMICALS, "low")]
    page = admin_client.get("/admin/complexity").get_data(as_text=True)
    assert "Chemicals" in page and ">low<" in page

    token = csrf_token(admin_client, "/admin/complexity")
    cleared = admin_client.post(
        "/admin/complexity/clear",
        data={"csrf_token": token, "standard": "iso14001", "sector": str(CHEMICALS)},
    )
    assert cleared.status_code == 303
    assert mappings(db) == []
    assert audit_actions(db) == ["set_complexity", "set_complexity", "clear_complexity"]
    fresh(db)
    actors = set(db.exec(select(AuditLog.actor_id).where(AuditLog.action == "set_complexity")))
    assert actors == {admin_client.admin.id}

    again = admin_client.post(
        "/admin/complexity/clear",
        data={"csrf_token": token, "standard": "iso14001", "sector": str(CHEMICALS)},
    )
    assert again.status_code == 404


BAD_MAPPINGS = [
    ({"standard": "iso45001", "sector": "17", "complexity": "limited"}, "complexity"),
    ({"standard": "iso14001", "sector": "17", "complexity": "extreme"}, "complexity"),
    ({"standard": "iso9001", "sector": "17", "complexity": "high"}, "standard"),
    ({"standard": "iso14001", "sector": "40", "complexity": "high"}, "sector"),
    ({"standard": "iso14001", "sector": "x\x00", "complexity": "high"}, "sector"),
]


@pytest.mark.parametrize(("data", "field"), BAD_MAPPINGS)
def test_a_bad_mapping_gets_a_field_error_and_writes_nothing(admin_client, db, data, field):
    response = set_mapping(admin_client, **data)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert mappings(db) == []
    assert audit_actions(db) == []


def test_a_mapping_without_the_csrf_token_is_refused(admin_client, db):
    data = {"standard": "iso14001", "sector": "17", "complexity": "high"}
    assert admin_client.post("/admin/complexity", data=data).status_code == 400
    assert mappings(db) == []


def test_the_complexity_page_is_for_admins_only(client, db):
    token = csrf_token(client, "/login")
    anonymous = [
        client.get("/admin/complexity"),
        client.post("/admin/complexity", data={"csrf_token": token}),
        client.post("/admin/complexity/clear", data={"csrf_token": token}),
    ]
    for response in anonymous:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]

    provider = make_provider(db)
    make_provider_user(db, provider)
    login(client, provider.email, PROVIDER_PASSWORD)
    assert client.get("/admin/complexity").status_code == 403
    token = csrf_token(client, "/provider/profile")
    data = {"csrf_token": token, "standard": "iso14001", "sector": "17", "complexity": "high"}
    assert client.post("/admin/complexity", data=data).status_code == 403
    assert mappings(db) == []


def test_one_mapping_per_standard_and_sector(db):
    db.commit()
    db.add(SectorComplexity(standard="iso14001", sector=METALS, complexity="high"))
    db.commit()
    db.add(SectorComplexity(standard="iso14001", sector=METALS, complexity="low"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.commit()
    db.rollback()
    assert db.exec(select(func.count()).select_from(SectorComplexity)).one() == 1
