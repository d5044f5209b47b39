"""A printer watches a batch being built; an addresser types her password again for labels."""

from __future__ import annotations

import contextlib
import subprocess
import time

import psutil
import pytest

from cardsapp.models import BatchStatus, Role
from cardsapp.services.batches import batch_progress, recent_batches
from cardsapp.services.campaigns import sole_active_campaign
from tests.conftest import worker_env
from tests.factories import (
    STAFF_PASSWORD,
    make_approved_cards,
    make_campaign,
    make_keyholder,
    make_recipient,
    make_user,
)
from tests.processes import kill_worker, start_worker

pytestmark = pytest.mark.e2e

CARDS = 9_800  # near the most a batch takes: a build long enough to be caught half-way


@pytest.fixture
def batch_staff(live_server) -> dict[Role, str]:
    """A printer and an addresser, and approved cards waiting in the current campaign."""
    with live_server.session() as session:
        campaign = sole_active_campaign(session) or make_campaign(session)
        campaign.cap_per_batch = CARDS
        campaign.cap_per_campaign = CARDS * 10
        for n in range(1, 41):
            make_recipient(session, campaign, 700 + n)
        make_approved_cards(session, campaign, CARDS, start=50_000)
        emails = {
            Role.PRINTER: make_user(session, Role.PRINTER).email,
            Role.ADDRESSER: make_keyholder(session, campaign).email,
        }
        session.commit()
    return emails


def _log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/batches")


def _hold_build_half_way(live_server, worker: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """Stop the worker's job processes once the build has drawn some cards, not all; return
    them (stopped) for `resume()`."""
    deadline = time.monotonic() + 60
    progress = None
    while time.monotonic() < deadline:
        with live_server.session() as session:
            progress = batch_progress(recent_batches(session, 1)[0], live_server.jobs())
        if progress.status != BatchStatus.BUILDING:
            break
        if 0 < progress.done < progress.total:
            horse = psutil.Process(worker.pid).children(recursive=True)
            for process in horse:
                process.suspend()
            with live_server.session() as session:
                progress = batch_progress(recent_batches(session, 1)[0], live_server.jobs())
            if progress.status == BatchStatus.BUILDING and progress.done < progress.total:
                return horse
            _resume(horse)
        time.sleep(0.005)
    raise AssertionError(f"the build was never seen half-way ({progress})")


def _resume(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.resume()


def test_a_printer_watches_the_progress_bar_finish_and_an_addresser_gets_labels(
    live_server, batch_staff, make_page, tmp_path, shots
):
    from playwright.sync_api import expect

    url = live_server.url
    page = make_page()
    _log_in(page, url, batch_staff[Role.PRINTER])
    page.fill("#max_cards", str(CARDS + 100))
    page.click("#build-batch")
    row = page.locator(".batch").first
    expect(row).to_have_attribute("data-status", "building")
    bar = row.locator("progress")
    expect(bar).to_be_visible()

    worker = start_worker(worker_env(live_server.app.extensions["cardsapp.config"]))
    try:
        # A build of thousands of cards takes about a second, the page polls every half
        # second: the job is held half-way while the page shows it, then let go.
        horse = _hold_build_half_way(live_server, worker)
        try:
            value = 0.0
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not 0 < value < 1:
                time.sleep(0.05)
                value = bar.evaluate("b => b.value / b.max")
            assert 0 < value < 1, "the progress bar never showed a batch half-way"
            page.screenshot(path=str(shots / "batches-building-phone.png"), full_page=True)
        finally:
            _resume(horse)
        # The page reloads itself when the batch is ready: the downloads appear.
        expect(page.locator(".batch").first).to_have_attribute(
            "data-status", "ready", timeout=60_000
        )
    finally:
        kill_worker(worker)
    expect(page.get_by_role("link", name="Cards PDF").first).to_be_visible()
    expect(page.get_by_role("link", name="Labels, A4 (Avery L7163)")).to_have_count(0)
    page.screenshot(path=str(shots / "batches-ready-phone.png"), full_page=True)
    with page.expect_download() as cards:
        page.get_by_role("link", name="Cards PDF").first.click()
    assert cards.value.suggested_filename.startswith("cards-")

    addresser = make_page()
    _log_in(addresser, url, batch_staff[Role.ADDRESSER])
    # The addresses are sealed: only her password, typed for this download, opens them.
    addresser.get_by_role("link", name="Labels, A4 (Avery L7163)").first.click()
    expect(addresser.locator("#password")).to_be_visible()
    addresser.screenshot(path=str(shots / "batches-reauth-phone.png"), full_page=True)
    addresser.fill("#password", STAFF_PASSWORD)
    with addresser.expect_download() as labels:
        addresser.get_by_role("button", name="Download the labels").click()
    saved = tmp_path / "labels.pdf"
    labels.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert labels.value.suggested_filename.startswith("labels-")
