"""The demo market uses confirmed bodies and schemes only: every verified demo CB can be
offered a request for each standard it lists, in each country and sector it lists."""

from sqlmodel import select

from matcher.candidates.search import match_candidates
from matcher.demo.data import seed_demo
from matcher.matching import OfferHistory, RequestFacts
from matcher.models import AccreditationScope, Provider, ProviderCountry, ProviderStatus, utcnow
from matcher.providers.recognition import recognised_standards


def test_every_verified_demo_cb_is_eligible_for_every_standard_it_lists(app, db):
    seed_demo(app, known_logins=True)
    db.rollback()
    now = utcnow()
    cbs = db.exec(
        select(Provider).where(
            Provider.kind == "certification_body", Provider.status == ProviderStatus.VERIFIED
        )
    ).all()
    assert len(cbs) >= 20
    recognised = recognised_standards(db, {cb.accreditation_body_id for cb in cbs})
    missing = []
    for cb in cbs:
        scope = db.exec(select(AccreditationScope).where(AccreditationScope.provider_id == cb.id))
        sectors: dict[str, int] = {}
        for row in scope:
            sectors.setdefault(row.standard, row.sector)
        (country, *_) = db.exec(
            select(ProviderCountry.country).where(ProviderCountry.provider_id == cb.id)
        ).all()
        for standard, sector in sorted(sectors.items()):
            if standard not in recognised[cb.accreditation_body_id]:
                missing.append(f"{cb.name}: {standard} (body not confirmed)")
                continue
            request = RequestFacts(
                id=0, service="certification", standards=(standard,), sector=sector,
                country=country, region=None, employees=cb.min_employees,
            )  # fmt: skip
            ranking, _ = match_candidates(db, request, OfferHistory(), now)
            if cb.id not in {c.provider.id for c in ranking.candidates}:
                missing.append(f"{cb.name}: {standard} in {country}, sector {sector}")
    assert missing == []
