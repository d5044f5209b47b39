"""An organiser starts campaigns from the admin pages; another campaign never moves the first."""

from __future__ import annotations

import re
import secrets

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from cardsapp.models import Batch, BatchStatus, Campaign, Card, CardStatus
from tests.conftest import worker_env
from tests.factories import STAFF_PASSWORD
from tests.processes import kill_worker, start_worker

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
TEXTS = {
    "en": ("Cards for mothers", "Their children are far away.", "Write warmly and simply."),
    "be": ("Паштоўкі для мам", "Іх дзеці далёка.", "Пішыце цёпла і проста."),
    "ru": ("Открытки для мам", "Их дети далеко.", "Пишите тепло и просто."),
}


def _workbook(path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["public_label", "name", "address_line1", "address_line2", "city", "postcode", "country"]
    )
    for n in range(1, 4):
        sheet.append(
            [
                f"A mother in Example {n}",
                f"Testa {n}",
                f"{n} Nowhere Lane",
                "",
                "Fictionville",
                f"FX{n:03d}",
                "Nowhereland",
            ]
        )
    book.save(path)


def _counter(page, url: str, slug: str = "") -> tuple[int, int]:
    suffix = f"?campaign={slug}" if slug else ""
    body = page.request.get(f"{url}/api/counter{suffix}").json()
    return body["participants"], body["cards"]


def _created(page, live_server, slug: str) -> str:
    """Past the new campaign's recovery code (its key is the organiser's): its settings URL."""
    assert page.locator(".recovery-code code").inner_text().strip()
    page.get_by_role("link", name="I have written it down").click()
    page.wait_for_url("**/admin/keys*")
    with live_server.session() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.slug == slug)).one()
        return f"{live_server.url}/admin/campaigns/{campaign.id}"


def _log_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda address: "/login" not in address)


def _confirm(page, label: str) -> None:
    page.locator(".campaign-state").get_by_role("link", name=label).click()
    page.get_by_role("button", name=re.compile(label)).click()


def test_an_organiser_runs_a_campaign_while_another_is_drafted_and_published(
    shots, empty_live_server, make_page, tmp_path
):
    from playwright.sync_api import expect

    live_server = empty_live_server
    url = live_server.url
    tag = secrets.token_hex(3)
    alpha, beta = f"alpha-{tag}", f"beta-{tag}"
    with live_server.session() as session:
        assert session.scalars(select(Campaign)).first() is None, "an empty server, no demo"
    # The first admin, as an organiser makes her on a new server: the password on stdin.
    email = f"organiser-{tag}@example.org"
    made = live_server.app.test_cli_runner().invoke(
        args=["create-user", email, "--role", "admin"], input=f"{STAFF_PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    page = make_page(viewport=DESKTOP, is_mobile=False, has_touch=False)
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")

    # Campaign A: created as a draft, texts in three languages, recipients, published.
    page.goto(f"{url}/admin/campaigns/new")
    page.fill("#slug", alpha)
    page.fill("#title", TEXTS["en"][0])
    page.screenshot(path=str(shots / "admin-new-campaign.png"), full_page=True)
    page.locator("form.settings button[type=submit]").click()
    settings_url = _created(page, live_server, alpha)
    page.goto(settings_url)
    page.screenshot(path=str(shots / "admin-campaign-draft.png"), full_page=True)
    assert "Texts donors will miss" in page.content()
    for lang, (title, story, guidance) in TEXTS.items():
        page.fill(f"#title_{lang}", title)
        page.fill(f"#story_{lang}", story)
        page.fill(f"#guidance_{lang}", guidance)
    page.locator("form.settings button[type=submit]").click()
    assert "Texts donors will miss" not in page.content()
    donor = make_page()
    assert donor.goto(f"{url}/c/{alpha}").status == 404

    _workbook(tmp_path / "recipients.xlsx")
    page.goto(f"{url}/admin/recipients?campaign={alpha}")
    page.set_input_files("input[type=file]", str(tmp_path / "recipients.xlsx"))
    page.locator("form[enctype] button[type=submit]").click()
    assert "A mother in Example 3" in page.content()

    # A moderator, a printer and an addresser, each invited and setting her own password.
    volunteers = {}
    for role in ("moderator", "printer", "addresser"):
        page.goto(f"{url}/admin/staff")
        page.fill("#email", f"{role}-{tag}@example.org")
        page.check(f"input[name=roles][value={role}]")
        page.locator("form[action$='/invite'] button[type=submit]").click()
        link = page.locator(".invite-link code").inner_text().strip()
        volunteer = make_page(viewport=DESKTOP, is_mobile=False, has_touch=False)
        volunteer.goto(link)
        volunteer.fill("#password", f"quiet harbour lantern {tag} {role}")
        volunteer.fill("#confirm", f"quiet harbour lantern {tag} {role}")
        volunteer.locator("main button[type=submit]").click()
        assert volunteer.url != link and "field-error" not in volunteer.content(), role
        _log_in(volunteer, url, f"{role}-{tag}@example.org", f"quiet harbour lantern {tag} {role}")
        volunteers[role] = volunteer
    # The organiser holds A's address key; she gives it to the addresser, her password typed.
    page.goto(f"{url}/admin/keys?campaign={alpha}")
    page.locator("#user_id").select_option(label=f"addresser-{tag}@example.org")
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Give the key").click()
    assert f"addresser-{tag}@example.org" in page.locator("main").inner_text()

    page.goto(settings_url)
    page.locator(".campaign-state").get_by_role("link", name="Publish").click()
    page.screenshot(path=str(shots / "admin-confirm-publish.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Publish")).click()

    # Donors write to A.
    for n in range(2):
        writer = make_page()
        writer.goto(f"{url}/c/{alpha}/write")
        writer.locator("#message").fill(f"Dear mum, warm wishes number {n + 1} from a test.")
        writer.get_by_role("button", name="Send the card").click()
        writer.wait_for_url("**/thanks/*")
    seen = {
        "counter": _counter(page, url, alpha),
        "badge": page.request.get(f"{url}/c/{alpha}/counter.svg?lang=en").text(),
        "page": TEXTS["en"][0] in donor.goto(f"{url}/c/{alpha}").text(),
    }
    assert seen["counter"] == (2, 2)

    def queue_count() -> int:
        page.goto(f"{url}/moderate?campaign={alpha}")
        return page.locator(".queue-card").count()

    def unchanged() -> None:
        assert _counter(page, url, alpha) == seen["counter"]
        assert page.request.get(f"{url}/c/{alpha}/counter.svg?lang=en").text() == seen["badge"]
        assert TEXTS["en"][0] in donor.goto(f"{url}/c/{alpha}").text()
        assert queue_count() == 2
        page.goto(f"{url}/batches?campaign={alpha}")
        assert TEXTS["en"][0] in page.content()

    unchanged()
    # Campaign B: a draft, then published; A's donors, counter, badge, queue and batches hold.
    page.goto(f"{url}/admin/campaigns/new")
    page.fill("#slug", beta)
    page.fill("#title", "Birthday cards")
    page.locator("form.settings button[type=submit]").click()
    beta_url = _created(page, live_server, beta)
    unchanged()
    assert donor.goto(f"{url}/c/{beta}").status == 404
    page.goto(beta_url)
    _confirm(page, "Publish")
    unchanged()
    assert "Birthday cards" in donor.goto(f"{url}/c/{beta}").text()
    donor.goto(f"{url}/")
    donor.screenshot(path=str(shots / "donor-campaign-list.png"), full_page=True)

    # A's cards are moderated; A is closed; its report matches.
    page.goto(f"{url}/moderate?campaign={alpha}")
    page.locator(".queue-card").first.get_by_role("button", name="Approve").click()
    page.goto(f"{url}/moderate?campaign={alpha}")
    page.locator(".queue-card").first.locator("select").select_option(index=1)
    page.locator(".queue-card").first.get_by_role("button", name="Reject").click()

    # The printer batches A's approved card (a real worker builds it), prints, marks it.
    printer = volunteers["printer"]
    printer.goto(f"{url}/batches?campaign={alpha}")
    printer.fill("#max_cards", "10")
    printer.click("#build-batch")
    worker = start_worker(worker_env(live_server.app.extensions["cardsapp.config"]))
    try:
        expect(printer.locator(".batch").first).to_have_attribute(
            "data-status", "ready", timeout=60_000
        )
    finally:
        kill_worker(worker)
    assert TEXTS["en"][0] in printer.locator(".batch").first.inner_text()
    with printer.expect_download() as cards_pdf:
        printer.get_by_role("link", name="Cards PDF").first.click()
    assert cards_pdf.value.suggested_filename.startswith("cards-")
    printer.get_by_role("button", name="Mark printed").first.click()
    expect(printer.locator(".batch").first).to_have_attribute("data-status", "printed")

    # The addresser types her password again for the labels, then marks the batch mailed.
    addresser = volunteers["addresser"]
    addresser.goto(f"{url}/batches?campaign={alpha}")
    addresser.get_by_role("link", name="Labels, A4 (Avery L7163)").first.click()
    addresser.fill("#password", f"quiet harbour lantern {tag} addresser")
    with addresser.expect_download() as labels:
        addresser.get_by_role("button", name="Download the labels").click()
    saved = tmp_path / "labels.pdf"
    labels.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    addresser.goto(f"{url}/batches?campaign={alpha}")
    addresser.get_by_role("button", name="Mark mailed").first.click()
    expect(addresser.locator(".batch").first).to_have_attribute("data-status", "mailed")

    page.goto(settings_url)
    _confirm(page, "Close now")
    page.goto(settings_url + "/report")
    page.screenshot(path=str(shots / "admin-report.png"), full_page=True)
    report = page.content()
    assert "1 person has taken part" in report and "1 card written" in report
    assert "printed: 1" in report and "posted: 1" in report
    # Cards by status, then batches by status, as they happened: one mailed, one rejected.
    cards_table, batches_table = (
        page.locator("section.panel", has_text=name).inner_text()
        for name in ("Cards by status", "Batches by status")
    )
    assert "mailed\t1" in cards_table and "rejected\t1" in cards_table
    assert "approved" not in cards_table and "waiting" not in cards_table
    assert "mailed\t1" in batches_table
    with live_server.session() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.slug == alpha)).one()
        statuses = sorted(
            c.status for c in session.scalars(select(Card).where(Card.campaign_id == campaign.id))
        )
        batches = [
            b.status for b in session.scalars(select(Batch).where(Batch.campaign_id == campaign.id))
        ]
    assert statuses == sorted([CardStatus.MAILED, CardStatus.REJECTED])
    assert batches == [BatchStatus.MAILED]
    assert "1 card written" in donor.goto(f"{url}/c/{alpha}/results").text()
