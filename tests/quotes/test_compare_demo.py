"""The demo: seeded providers answer a seeded request, so the comparison page is never empty."""

from sqlmodel import func, select

from matcher.demo.data import DEMO_CB, DEMO_CONSULTANT, seed_demo
from matcher.demo.leads import demo_request_link, seed_demo_leads
from matcher.models import LeadOffer, Quote, QuoteStatus


def test_the_demo_request_has_firm_quotes_to_compare_and_seeding_twice_adds_nothing(
    app, client, db
):
    seed_demo(app, known_logins=True)
    link = demo_request_link(app)
    assert link.startswith("http://certmatch.test/r/")
    db.rollback()
    firm = db.exec(select(Quote).where(Quote.status == QuoteStatus.FIRM)).all()
    assert len(firm) >= 2
    page = client.get(link.removeprefix("http://certmatch.test")).get_data(as_text=True)
    assert page.count("Accept this quote") == len(firm)
    assert "Accredited by UKAS" in page

    offers_before = db.exec(select(func.count()).select_from(LeadOffer)).one()
    quotes_before = db.exec(select(func.count()).select_from(Quote)).one()
    seed_demo(app, known_logins=True)
    assert seed_demo_leads(app, keep_open=(DEMO_CB, DEMO_CONSULTANT)) == link
    db.rollback()
    assert db.exec(select(func.count()).select_from(LeadOffer)).one() == offers_before
    assert db.exec(select(func.count()).select_from(Quote)).one() == quotes_before
    assert len(db.exec(select(Quote).where(Quote.status == QuoteStatus.FIRM)).all()) == len(firm)
