"""Whom to offer now: open slots filled best first, within the limits and the `both` mix."""

from collections.abc import Sequence

from matcher.matching.facts import (
    CERTIFICATION_BODY,
    CONSULTANT,
    MAX_OPEN_OFFERS,
    MAX_PROVIDERS_PER_REQUEST,
    Candidate,
    OfferHistory,
    RequestFacts,
    Selection,
)
from matcher.matching.filters import conflicts
from matcher.matching.scoring import rank_key


def select(request: RequestFacts, ranked: Sequence[Candidate], history: OfferHistory) -> Selection:
    """Pick whom to offer now: fill the open slots best first, within every limit.

    At most three open offers and six providers over the request's life; for `both`, at
    least one consultant and one CB among the open offers when both kinds are available;
    never two affiliated providers of different kinds.
    """
    return _select(request, ranked, history, complete=True)[0]


def select_settled(
    request: RequestFacts, best: Sequence[Candidate], history: OfferHistory
) -> Selection | None:
    """Select from the best part of a ranking, or None if candidates after it could matter.

    `best` must be the ranking's true first candidates, in order. The answer is `select`'s on
    the whole ranking whenever it is not None: it never looked past the end of `best`.
    """
    selection, settled = _select(request, best, history, complete=False)
    return selection if settled else None


def _select(
    request: RequestFacts, ranked: Sequence[Candidate], history: OfferHistory, complete: bool
) -> tuple[Selection, bool]:
    """`select`, and whether its answer holds for any candidates ranked after `ranked`."""
    slots = min(
        MAX_OPEN_OFFERS - len(history.open),
        MAX_PROVIDERS_PER_REQUEST - len(history.offered),
    )
    chosen: list[Candidate] = []
    skipped: dict[int, str] = {}
    taken = dict(history.offered)
    settled = True

    def fits(candidate: Candidate) -> bool:
        if candidate.provider.id in taken:
            return False
        if conflicts(request, candidate.provider, taken):
            skipped[candidate.provider.id] = "affiliated with a provider chosen for this request"
            return False
        return True

    if request.service == "both" and slots > 0:
        picks, settled = _mix(request, ranked, history, taken, slots, complete)
        for candidate in picks:
            chosen.append(candidate)
            taken[candidate.provider.id] = candidate.provider.kind
    for candidate in ranked:
        if len(chosen) >= slots:
            break
        if fits(candidate):
            chosen.append(candidate)
            taken[candidate.provider.id] = candidate.provider.kind
    # Slots left over after the last candidate seen: a later one might have filled them.
    settled = settled and (complete or len(chosen) >= slots)
    chosen.sort(key=rank_key)
    return Selection(chosen=chosen, skipped=skipped), settled


def _mix(
    request: RequestFacts,
    ranked: Sequence[Candidate],
    history: OfferHistory,
    taken: dict[int, str],
    slots: int,
    complete: bool = True,
) -> tuple[list[Candidate], bool]:
    """The candidates that give the open offers both a consultant and a CB, where possible.

    Also whether the answer holds for any candidates after `ranked` (always, if complete).
    """
    missing = [k for k in (CONSULTANT, CERTIFICATION_BODY) if k not in history.open.values()]
    pool = {
        kind: [
            (i, c)
            for i, c in enumerate(ranked)
            if c.provider.kind == kind
            and c.provider.id not in taken
            and not conflicts(request, c.provider, taken)
        ]
        for kind in missing
    }
    # Each kind's pool is a prefix of its pool over the whole ranking; the pick of a kind is
    # settled once its pool is not empty, and a pair once it starts at its kind's first.
    settled = complete or all(pool[kind] for kind in missing)
    if len(missing) == 2 and slots >= 2:
        # The best-ranked unaffiliated pair: an affiliation never costs the mix.
        pairs = [
            _first_pair(pool[first], pool[second]) for first, second in (missing, reversed(missing))
        ]
        settled = complete or all(
            pair is not None and pair[0] is pool[first][0]
            for pair, first in zip(pairs, missing, strict=True)
        )
        found = [pair for pair in pairs if pair is not None]
        if found:
            best = min(found, key=lambda pair: (pair[0][0] + pair[1][0], pair[0][0]))
            return [c for _, c in best], settled
    picks = [pool[kind][0] for kind in missing if pool[kind]]
    return [c for _, c in sorted(picks, key=lambda pick: pick[0])][:slots], settled


def _first_pair(firsts: list, seconds: list):
    for first in firsts:
        for second in seconds:
            if first[1].provider.id not in second[1].provider.affiliated_ids:
                return first, second
    return None
