"""What every donor's request reads: a campaign, its recipients and its counter.

On the day a campaign is shared widely, every page view, preview and submission needs the
same few things, and they change rarely (the counter a few times a second at most). Each
web process reads them from the database at most once every few seconds and shares the
result between its threads: one directory of the campaigns donors may see, and one view
per campaign (plus one for the bare routes). A view is about one campaign only, so one
campaign's change never touches another's views. Submitting a card still checks the
chosen recipient and the campaign's phase afresh; staff pages never use this cache, and a
draft is never in it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from cardsapp.models import Campaign, utcnow
from cardsapp.services.campaigns import campaign_by_slug, default_campaign, donor_campaigns
from cardsapp.services.counter import CounterReading, read_counter
from cardsapp.services.submissions import public_recipients

# The bare routes' view: / , /write, /api/counter, /counter.svg.
DEFAULT = ""


@dataclass(frozen=True)
class PublicView:
    """A read-only snapshot. `campaign` is detached from any session: read it, never change it.

    `campaigns` is every campaign donors may see (for the list on /). `pages` keeps what is
    made from the snapshot alone (a page per language, the counter's JSON), so that it is
    made once per snapshot rather than once per request; `responses` keeps whole answers
    for `cardsapp.web.shared` to give again.
    """

    campaign: Campaign | None
    counter: CounterReading | None
    campaigns: tuple[Campaign, ...] = ()
    pages: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)
    responses: dict[tuple[str, ...], object] = field(default_factory=dict, compare=False)
    bind: Engine | Connection | None = field(default=None, compare=False, repr=False)

    @cached_property
    def recipients(self) -> tuple[tuple[str, str], ...]:
        """The active recipients (public id, label), read once per snapshot on first use.

        Only the writing page asks: the landing page and the counter of a campaign with ten
        thousand recipients do not read them (bench/scale.py, public_snapshot).
        """
        if self.campaign is None or self.bind is None:
            return ()
        with Session(self.bind) as own:
            return tuple(public_recipients(own, self.campaign))

    def page(self, key: tuple[str, ...], make: Callable[[], str]) -> str:
        """The page kept under `key`, made now if this snapshot has none yet."""
        page = self.pages.get(key)
        if page is None:
            page = self.pages[key] = make()
        return page


class PublicCache:
    """Views per campaign, reread after `seconds` or when any campaign's phase changes."""

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utcnow,
        counter_period: int = 0,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        # key (a slug, or DEFAULT) -> (view, until)
        self._views: dict[str, tuple[PublicView, float]] = {}
        self._directory: tuple[tuple[Campaign, ...], float] | None = None
        self._shared: dict[tuple[str, ...], str] = {}
        # The public counter moves only when the wall clock enters a new period (every
        # process at the same boundaries): a counter that moved seconds after each card
        # would timestamp the card for anyone watching it. 0 moves it at every reread.
        self.counter_period = counter_period
        # campaign id -> (period, the counter read in that period)
        self._counters: dict[int, tuple[int, CounterReading]] = {}

    def view(self, session: Session, slug: str = DEFAULT) -> PublicView:
        """The campaign `slug` names (DEFAULT: the bare routes'), read when missing or old.

        A slug donors may not see (a draft, a typo) gives a view without a campaign,
        which is not kept.
        """
        now = self._clock()
        kept = self._views.get(slug)
        if kept is not None and now < kept[1]:
            return kept[0]
        campaigns, until = self._read_directory(session, now)
        if slug == DEFAULT:
            campaign = default_campaign(campaigns, self._wall_clock())
        else:
            campaign = next((c for c in campaigns if c.slug == slug), None)
            if campaign is None:
                return PublicView(None, None, campaigns)
        view = self._read(session, campaign, campaigns)
        with self._lock:
            self._views[slug] = (view, until)
        return view

    def staff_view(self, session: Session, slug: str) -> PublicView | None:
        """A campaign as donors would see it, drafts included, read now and never kept."""
        campaign = campaign_by_slug(session, slug, staff=True)
        if campaign is None:
            return None
        session.expunge(campaign)
        with Session(session.get_bind()) as own:
            return PublicView(campaign, read_counter(own, campaign.id), bind=session.get_bind())

    def remember_shared(self, key: tuple[str, ...], slug: str) -> None:
        """Note that the answer kept under `key` belongs to the view of `slug`."""
        with self._lock:
            self._shared[key] = slug

    def shared_view(self, key: tuple[str, ...]) -> PublicView | None:
        """The still-current view whose kept answers include `key`, without reading anything."""
        slug = self._shared.get(key)
        kept = self._views.get(slug) if slug is not None else None
        if kept is not None and self._clock() < kept[1]:
            return kept[0]
        return None

    def slug_of(self, view: PublicView) -> str | None:
        """Under which key this process keeps `view`, if it does."""
        for slug, (kept, _until) in list(self._views.items()):
            if kept is view:
                return slug
        return None

    def forget(self) -> None:
        """Drop every snapshot (after an admin change in this process)."""
        with self._lock:
            self._views.clear()
            self._shared.clear()
            self._directory = None

    def _read_directory(self, session: Session, now: float) -> tuple[tuple[Campaign, ...], float]:
        directory = self._directory
        if directory is not None and now < directory[1]:
            return directory
        with Session(session.get_bind()) as own:
            campaigns = tuple(donor_campaigns(own))
        until = now + self.seconds
        if campaigns:
            # Opening and closing happen on time, not up to `seconds` late.
            until = min(until, now + self._seconds_to_next_phase(campaigns))
        with self._lock:
            self._directory = (campaigns, until)
        return campaigns, until

    def _read(
        self, session: Session, campaign: Campaign | None, campaigns: tuple[Campaign, ...]
    ) -> PublicView:
        # A session of its own: the caller's keeps its objects, and the campaigns stay
        # detached with every column loaded, safe to share between threads.
        if campaign is None:
            return PublicView(None, None, campaigns)
        with Session(session.get_bind()) as own:
            counter = self._coarse(campaign.id, lambda: read_counter(own, campaign.id))
        return PublicView(campaign, counter, campaigns, bind=session.get_bind())

    def _coarse(self, campaign_id: int, read: Callable[[], CounterReading]) -> CounterReading:
        """The counter as read at the start of this period (read now if not yet read)."""
        if self.counter_period <= 0:
            return read()
        period = int(self._wall_clock().timestamp()) // self.counter_period
        kept = self._counters.get(campaign_id)
        if kept is not None and kept[0] == period:
            return kept[1]
        reading = read()
        self._counters[campaign_id] = (period, reading)
        return reading

    def _seconds_to_next_phase(self, campaigns: tuple[Campaign, ...]) -> float:
        wall = self._wall_clock()
        upcoming = [
            moment
            for campaign in campaigns
            for moment in (campaign.opens_at, campaign.closes_at)
            if moment > wall
        ]
        if not upcoming:
            return self.seconds
        return max(0.0, (min(upcoming) - wall).total_seconds())
