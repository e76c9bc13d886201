"""Businesses in threads filling in the form and confirming it through a real web server."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import select

from matcher.db import transaction
from matcher.links import request_token
from matcher.models import QuoteRequest
from tests.factories import request_form
from tests.faults.network import HttpSession


@dataclass
class Answer:
    """One page a business asked for, and when."""

    step: str  # "form" or "confirm"
    email: str
    status: int
    at: float


@dataclass
class Businesses:
    """`clients` browsers, each submitting and confirming request after request until stopped."""

    app: object
    base_url: str
    clients: int = 3
    name: str = "buyer"  # e-mails are <name><client>-<n>@...: distinct between two groups
    pause: float = 1.0  # between one request and the next: people, not a load test
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._business, args=(n,), daemon=True)
            for n in range(self.clients)
        ]

    def start(self) -> "Businesses":
        """Let the businesses loose."""
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Let each finish the page it is on, then stop."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def accepted(self, step: str) -> set[str]:
        """The e-mails whose `step` was answered 303 (done), the proof that it was accepted."""
        return {a.email for a in self.answers if a.step == step and a.status == 303}

    def statuses(self, *, after: float = 0.0) -> Counter:
        """How often each HTTP status came back (0: no answer), for pages asked after `after`."""
        return Counter(a.status for a in self.answers if a.at >= after)

    def _business(self, client: int) -> None:
        browser = HttpSession(self.base_url)
        number = 0
        while not self._stop.is_set():
            number += 1
            email = f"{self.name}{client}-{number}@firm{client}-{number}.example"
            form = request_form(email=email, company_name=f"Firm {client}-{number} Ltd")
            if self._ask("form", email, lambda form=form: browser.submit("/quote", form)) != 303:
                time.sleep(0.2)
                continue
            link = self._link(email)
            if link is not None:
                self._ask("confirm", email, lambda link=link: browser.submit(link, {}))
            self._stop.wait(self.pause)

    def _ask(self, step: str, email: str, page) -> int:
        status, _ = page()
        with self._lock:
            self.answers.append(Answer(step, email, status, time.time()))
        return status

    def _link(self, email: str) -> str | None:
        # The link a business would find in its confirmation mail (delayed while a service is
        # down): read from the database, so businesses confirm through the outage too.
        try:
            with self.app.app_context(), transaction() as session:
                public_id = session.exec(
                    select(QuoteRequest.public_id).where(QuoteRequest.email == email)
                ).first()
                return f"/r/{request_token(public_id)}" if public_id else None
        except Exception:  # noqa: BLE001  the database may be the service that is down
            return None
