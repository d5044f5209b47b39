"""A campaign's print format decides what its batches print: postcards get a back."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import BatchLayout, Envelope, PrintFormat
from cardsapp.render.designs import designs
from cardsapp.services.batches import build_batch, create_batch, packing_rows, read_file
from tests.factories import make_approved_cards, make_campaign, make_recipient
from tests.prepress import pdfx_errors


def _built_batch(app, layout, print_icc=None, **campaign):
    camp = make_campaign(db.session, **campaign)
    for n in (1, 2):
        make_recipient(db.session, camp, n)
    make_approved_cards(db.session, camp, 6)
    db.session.commit()
    db.session.rollback()
    batch = create_batch(db.session, camp.id, 6, layout)
    db.session.commit()
    data_dir = app.extensions["cardsapp.config"].data_dir
    build_batch(db.session, batch.id, data_dir, designs(), print_icc=print_icc)
    db.session.commit()
    return batch, PdfReader(io.BytesIO(read_file(db.session, batch.id, "cards")))


def test_a_postcard_campaign_prints_each_sheet_of_fronts_followed_by_its_backs(app):
    back_text = {"be": "Вы не адны.", "ru": "Вы не одни.", "en": "You are not alone."}
    batch, reader = _built_batch(
        app, BatchLayout.HOME_A4, print_format=PrintFormat.POSTCARD, back_text=back_text
    )
    assert len(reader.pages) == 4  # 6 cards: fronts, backs, fronts, backs
    fronts = reader.pages[0].extract_text() + reader.pages[2].extract_text()
    backs = reader.pages[1].extract_text() + reader.pages[3].extract_text()
    codes = db.session.scalars(select(Envelope.code).where(Envelope.batch_id == batch.id))
    for code in codes:
        assert code in backs and code not in fronts  # the card code moved to the back
    assert "Вы не адны." in backs and "You are not alone." in backs
    rows = list(packing_rows(db.session, batch))
    assert {row.first_page for row in rows} | {row.last_page for row in rows} <= {1, 3}


def test_a_flat_campaign_prints_fronts_only_with_the_code_on_the_front(app):
    batch, reader = _built_batch(app, BatchLayout.PRINT_SHOP)
    assert len(reader.pages) == 6
    codes = list(db.session.scalars(select(Envelope.code).where(Envelope.batch_id == batch.id)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(code in text for code in codes)


def test_a_print_shops_cmyk_profile_makes_the_built_print_shop_file_cmyk_pdfx(app):
    icc = Path(__file__).resolve().parents[1] / "data" / "ps_cmyk.icc"
    batch, reader = _built_batch(app, BatchLayout.PRINT_SHOP, print_icc=icc)
    pdf = read_file(db.session, batch.id, "cards")
    assert pdfx_errors(pdf) == []
    intent = reader.trailer["/Root"]["/OutputIntents"][0]
    assert intent["/DestOutputProfile"].get_object()["/N"] == 4
