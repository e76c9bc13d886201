"""A verified provider edits what it offers: which changes count at once, which wait (flush only).

The rule, and why:
- A consultant's standards, sectors and countries, and any provider's countries, are its own
  declaration, like on any marketplace: they count at once (the match keys follow, see
  matcher/models/match_keys.py) and each change is written to the audit log, so an admin can
  see who widened what and when.
- A certification body's accreditation scope is a fact an accreditation body certifies: a
  widening waits for an admin (audit entry + a mail to the admins), while a narrowing counts at
  once, since a CB that lost a sector must stop getting leads for it today.
- A verified consultant's qualifications sit under the business's "Verified by CertMatch"
  badge: a new or changed one waits for an admin the same way, a removed one goes at once
  (matcher/providers/qualification_review.py). Before verification the whole application is
  reviewed, so edits count at once.
- A verified provider's new name waits for an admin as well: businesses keep seeing the
  name that was checked, and a rename could pass one provider off as another.
- A submission supersedes the one waiting: sending the live values back withdraws it.
"""

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from matcher.links import absolute_url
from matcher.models import AccreditationBody, Provider, Role, User, utcnow
from matcher.outbox import queue_mail
from matcher.providers import audit_log, qualification_review, reviewed_changes
from matcher.providers import profiles as providers


def describe_coverage_change(before: dict[str, list], after: dict[str, list]) -> str | None:
    """'standards +iso14001; sectors +18 -17' for what changed between two coverages."""
    parts = []
    for name in ("countries", "standards", "sectors", "scope"):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        changes = [f"+{_label(v)}" for v in sorted(new - old)]
        changes += [f"-{_label(v)}" for v in sorted(old - new)]
        if changes:
            parts.append(f"{name} {' '.join(changes)}")
    return "; ".join(parts) or None


def _label(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "×".join(str(v) for v in value)
    return str(value)


def save_profile(
    session: Session,
    provider: Provider,
    *,
    fields: dict[str, Any],
    coverage_lists: dict[str, Any],
    reviewed: dict[str, Any],
    packages: Iterable[dict[str, Any]] | None = None,
    qualifications: list[dict[str, Any]] | None = None,
    actor_id: int | None,
) -> bool:
    """Save a provider's own profile edit; return whether changes wait for an admin."""
    before = providers.coverage(session, provider)
    waiting_before = dict(provider.pending_changes or {})
    if "scope" in reviewed:
        # Narrowing an accreditation scope needs nobody's approval.
        kept = set(before["scope"]) & {tuple(pair) for pair in reviewed["scope"]}
        if kept != set(before["scope"]):
            providers.replace_coverage(session, provider, scope=kept)
    proposal = reviewed_changes.update_profile(
        session,
        provider,
        fields=fields,
        coverage_lists=coverage_lists,
        reviewed=reviewed,
        packages=packages,
    )
    if qualifications is not None:
        waiting = _save_qualifications(session, provider, qualifications, actor_id=actor_id)
        if waiting:
            proposal["qualifications"] = waiting
    elif "qualifications" in waiting_before:
        proposal["qualifications"] = waiting_before["qualifications"]
    change = describe_coverage_change(before, providers.coverage(session, provider))
    if change:
        audit_log.audit(
            session, action="change_coverage", provider=provider, reason=change, actor_id=actor_id
        )
    _record_proposal(session, provider, proposal, waiting_before, before, actor_id=actor_id)
    session.add(provider)
    session.flush()
    return bool(proposal)


def _record_proposal(
    session: Session,
    provider: Provider,
    proposal: dict[str, Any],
    waiting_before: dict[str, Any],
    before: dict[str, list],
    *,
    actor_id: int | None,
) -> None:
    """Park a new proposal (logged, admins told), keep the same one, or withdraw the old one."""
    if proposal and proposal != _without_time(waiting_before):
        provider.pending_changes = {**proposal, "submitted_at": utcnow().isoformat()}
        _changes_submitted(session, provider, before, actor_id=actor_id)
    elif proposal:
        # The same proposal sent again (the form shows what waits): keep its date, say nothing.
        provider.pending_changes = waiting_before
    elif waiting_before:
        provider.pending_changes = None
        audit_log.audit(
            session, action="withdraw_changes", provider=provider, reason=None, actor_id=actor_id
        )


def _without_time(pending: dict | None) -> dict:
    return {k: v for k, v in (pending or {}).items() if k != "submitted_at"}


_FIELD_WORDS = {"accreditation_body_id": "accreditation body"}


def _in_words(session: Session, name: str, value: Any) -> str:
    """A parked value as an admin reads it: a body by its acronym, not its row id."""
    if name == "accreditation_body_id" and value is not None:
        body = session.get(AccreditationBody, value)
        return body.acronym if body else str(value)
    return "none" if value is None else str(value)


def _changes_submitted(
    session: Session, provider: Provider, before: dict[str, list], *, actor_id: int | None
) -> None:
    """Log the proposal and tell every admin: what a business relies on is checked first."""
    pending = _without_time(provider.pending_changes)
    lines = []
    if "scope" in pending:
        wanted = {"scope": [tuple(pair) for pair in pending["scope"]]}
        lines.append(describe_coverage_change({"scope": before["scope"]}, wanted))
    lines += [
        f"{_FIELD_WORDS.get(name, name.replace('_', ' '))} "
        f"{_in_words(session, name, getattr(provider, name))} -> "
        f"{_in_words(session, name, pending[name])}"
        for name in reviewed_changes.PARKED_FIELDS
        if name in pending
    ]
    lines += [
        f"qualification +{qualification_review.describe(row)}"
        for row in pending.get("qualifications", [])
    ]
    summary = "; ".join(line for line in lines if line)
    audit_log.audit(
        session, action="propose_changes", provider=provider, reason=summary, actor_id=actor_id
    )
    link = absolute_url(f"/admin/providers/{provider.id}")
    what = reviewed_changes.what_changes(pending)
    # Qualifications are checked with their issuer, the rest against registers.
    template = (
        "admin_qualification_changes" if "qualifications" in pending else "admin_provider_changes"
    )
    admins = session.exec(select(User.email).where(User.role == Role.ADMIN).order_by(User.id))
    for email in admins:
        queue_mail(
            session,
            template=template,
            to=email,
            subject=f"To review: {provider.name} asks to change its {what}",
            context={"provider": provider, "summary": summary, "link": link, "what": what},
            dedupe_key=f"changes:{provider.id}:{provider.pending_changes['submitted_at']}:{email}",
            provider_id=provider.id,
        )


def qualification_rows(session: Session, provider: Provider) -> list[dict[str, Any]]:
    """The qualifications the consultant's form shows: the checked ones, then those waiting."""
    checked = qualification_review.checked_rows(session, provider)
    return checked + qualification_review.waiting_rows(provider)


def _save_qualifications(
    session: Session, provider: Provider, rows: list[dict[str, Any]], *, actor_id: int | None
) -> list[dict[str, Any]]:
    """Apply what counts at once; return the rows that wait for an admin (JSON values)."""
    if not qualification_review.is_reviewed_one_by_one(provider):
        if rows != qualification_review.checked_rows(session, provider):
            qualification_review.replace_rows(session, provider, rows)
            _log_qualifications(session, provider, actor_id=actor_id)
        return []
    if qualification_review.remove_unclaimed(session, provider, rows):
        _log_qualifications(session, provider, actor_id=actor_id)
    return qualification_review.unchecked(session, provider, rows)


def _log_qualifications(session: Session, provider: Provider, *, actor_id: int | None) -> None:
    names = ", ".join(row["name"] for row in qualification_review.checked_rows(session, provider))
    audit_log.audit(
        session,
        action="change_qualifications",
        provider=provider,
        reason=f"qualifications now: {names or 'none'}",
        actor_id=actor_id,
    )
