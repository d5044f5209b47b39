"""What every donor's request reads: the current campaign, its recipients and its counter.

On the day a campaign is shared widely, every page view, preview and submission needs the
same three things, and they change rarely (the counter a few times a second at most). Each
web process reads them from the database at most once every few seconds and shares the
result between its threads. Submitting a card still checks the chosen recipient and the
campaign's phase afresh; staff pages never use this cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from cardsapp.models import Campaign, utcnow
from cardsapp.services.campaigns import current_campaign
from cardsapp.services.counter import CounterReading, read_counter
from cardsapp.services.submissions import public_recipients


@dataclass(frozen=True)
class PublicView:
    """A read-only snapshot. `campaign` is detached from any session: read it, never change it.

    `pages` keeps what is made from the snapshot alone (the landing page per language, the
    counter's JSON), so that it is made once per snapshot rather than once per request;
    `responses` keeps whole answers for `cardsapp.web.shared` to give again.
    """

    campaign: Campaign | None
    recipients: tuple[tuple[str, str], ...]
    counter: CounterReading | None
    pages: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)
    responses: dict[tuple[str, ...], object] = field(default_factory=dict, compare=False)

    def page(self, key: tuple[str, ...], make: Callable[[], str]) -> str:
        """The page kept under `key`, made now if this snapshot has none yet."""
        page = self.pages.get(key)
        if page is None:
            page = self.pages[key] = make()
        return page


class PublicCache:
    """The current `PublicView`, reread after `seconds` or when the campaign's phase changes."""

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._view: PublicView | None = None
        self._until = 0.0

    def view(self, session: Session) -> PublicView:
        """The snapshot, read on `session`'s engine when it is missing or too old."""
        now = self._clock()
        view = self._view
        if view is not None and now < self._until:
            return view
        view = self._read(session)
        until = now + self.seconds
        if view.campaign is not None:
            # Opening and closing happen on time, not up to `seconds` late.
            until = min(until, now + self._seconds_to_next_phase(view.campaign))
        with self._lock:
            self._view, self._until = view, until
        return view

    def fresh(self) -> PublicView | None:
        """The snapshot if it is still current, without reading anything; else None."""
        view = self._view
        if view is not None and self._clock() < self._until:
            return view
        return None

    def forget(self) -> None:
        """Drop the snapshot (after an admin change in this process)."""
        with self._lock:
            self._view, self._until = None, 0.0

    def _read(self, session: Session) -> PublicView:
        # A session of its own: the caller's keeps its objects, and ours leaves the campaign
        # detached with every column loaded, safe to share between threads.
        with Session(session.get_bind()) as own:
            campaign = current_campaign(own)
            if campaign is None:
                return PublicView(None, (), None)
            recipients = tuple(public_recipients(own, campaign))
            counter = read_counter(own, campaign.id)
        return PublicView(campaign, recipients, counter)

    def _seconds_to_next_phase(self, campaign: Campaign) -> float:
        wall = self._wall_clock()
        upcoming = [moment for moment in (campaign.opens_at, campaign.closes_at) if moment > wall]
        if not upcoming:
            return self.seconds
        return max(0.0, (min(upcoming) - wall).total_seconds())
