"""A batch built on one machine downloads from another: only the database is shared."""

from __future__ import annotations

from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import Batch, BatchStatus, Role
from cardsapp.render.designs import designs
from cardsapp.services.batches import build_batch, read_file
from tests.conftest import worker_env
from tests.factories import log_in, make_approved_cards, make_campaign, make_recipient, make_user
from tests.factories import staff_csrf_token as csrf_token
from tests.processes import run_burst


def _campaign_with_cards(app, cards: int):  # type: ignore[no-untyped-def]
    campaign = make_campaign(db.session)
    for n in range(1, 4):
        make_recipient(db.session, campaign, n)
    make_approved_cards(db.session, campaign, cards)
    db.session.commit()
    return campaign


def test_a_batch_built_by_a_worker_elsewhere_downloads_from_this_web_process(
    app, client, config, tmp_path
):
    _campaign_with_cards(app, 12)
    printer = make_user(db.session, Role.PRINTER)
    db.session.commit()
    log_in(client, printer.email)
    token = csrf_token(client)
    response = client.post(
        "/batches", data={"max_cards": 12, "layout": "home_a4", "csrf_token": token}
    )
    assert response.status_code == 302
    code = db.session.scalars(select(Batch.code)).one()

    # The worker's machine: a disk of its own, which the web process never sees.
    worker_disk = tmp_path / "worker-machine"
    env = {**worker_env(config), "CARDS_DATA_DIR": str(worker_disk)}
    run_burst(env)
    db.session.expire_all()
    assert db.session.scalars(select(Batch.status)).one() == BatchStatus.READY

    for kind in ("cards", "packing"):
        response = client.get(f"/batches/{code}/{kind}.pdf")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data()
        assert body.startswith(b"%PDF") and body.rstrip().endswith(b"%%EOF")
    assert not list(worker_disk.rglob("*.pdf")), "the worker left a file on its disk"
    assert not list(config.data_dir.rglob("*.pdf")), "the web process read from a disk"


def test_a_file_larger_than_one_part_is_stored_in_parts_and_served_whole(app, client, monkeypatch):
    import cardsapp.services.batches.build as build

    monkeypatch.setattr(build, "FILE_PART", 4096)
    campaign = _campaign_with_cards(app, 9)
    from cardsapp.services.batches import create_batch

    db.session.rollback()
    batch = create_batch(db.session, campaign.id, 9)
    db.session.commit()
    config = app.extensions["cardsapp.config"]
    build_batch(db.session, batch.id, config.data_dir, designs(config.designs_dir))
    db.session.commit()
    whole = read_file(db.session, batch.id, "cards")
    assert len(whole) > 3 * 4096
    printer = make_user(db.session, Role.PRINTER)
    db.session.commit()
    log_in(client, printer.email)
    assert client.get(f"/batches/{batch.code}/cards.pdf").get_data() == whole
