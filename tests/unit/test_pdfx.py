"""Print-shop files are PDF/X-4: output intent, XMP, boxes, one orientation, own resources."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

from cardsapp.domain.envelopes import routing_code
from cardsapp.render.cards_pdf import PrintCard, render_cards_pdf
from cardsapp.render.designs import designs
from cardsapp.render.pdfx import ProfileError, cmyk_target
from tests.prepress import pdfx_errors

DESIGNS = designs()
CMYK_PROFILE = Path(__file__).resolve().parents[1] / "data" / "ps_cmyk.icc"


def every_design(n: int = 2) -> list[PrintCard]:
    slugs = list(DESIGNS) * n
    return [
        PrintCard(slug, "Дарагая мама! Dear mum!", "Sam", routing_code("B2B2B2B2", "E3E3E3", i, 9))
        for i, slug in enumerate(slugs, 1)
    ]


def shop_pdf(**options) -> bytes:
    buffer = io.BytesIO()
    render_cards_pdf(buffer, every_design(), DESIGNS, "print_shop", title="Cards B2B2", **options)
    return buffer.getvalue()


def test_a_print_shop_file_passes_the_pdfx4_check_with_an_srgb_output_intent():
    pdf = shop_pdf()
    assert pdfx_errors(pdf) == []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (intent,) = doc.Root.OutputIntents
        profile = intent.DestOutputProfile.read_bytes()
        assert profile[16:20] == b"RGB " and int(intent.DestOutputProfile.N) == 3
        assert str(doc.trailer.Info.GTS_PDFXVersion) == "PDF/X-4"
        assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4<" in doc.Root.Metadata.read_bytes()


def test_a_print_shops_cmyk_profile_makes_artwork_text_and_marks_cmyk():
    pdf = shop_pdf(output=cmyk_target(CMYK_PROFILE))
    assert pdfx_errors(pdf) == []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.Root.OutputIntents[0].DestOutputProfile.read_bytes() == (
            CMYK_PROFILE.read_bytes()
        )
        for page in doc.pages:
            operators = {str(op) for _, op in pikepdf.parse_content_stream(page)}
            assert "k" in operators and "K" in operators
            assert not operators & {"rg", "RG"}
            for form in page.Resources.XObject.values():
                for image in form.Resources.XObject.values():
                    assert image.ColorSpace == "/DeviceCMYK"


def test_the_check_finds_what_a_plain_pdf_lacks():
    buffer = io.BytesIO()
    render_cards_pdf(buffer, every_design(1), DESIGNS, "home_a4")
    errors = pdfx_errors(buffer.getvalue())
    assert "Info has no GTS_PDFXVersion PDF/X-4" in errors
    assert "no XMP metadata stream in the catalog" in errors
    assert "0 GTS_PDFX output intents (one needed)" in errors
    assert "page 1: no TrimBox" in errors


def test_every_page_of_a_print_shop_file_has_one_orientation_and_only_its_own_artwork():
    with pikepdf.open(io.BytesIO(shop_pdf())) as doc:
        shapes = {float(p.MediaBox[2]) > float(p.MediaBox[3]) for p in doc.pages}
        assert shapes == {True}  # landscape, the portrait design turned onto it
        for page, card in zip(doc.pages, every_design(), strict=True):
            (name,) = page.Resources.XObject.keys()
            assert name.endswith(f"art-{card.design_slug}-300")
            (image,) = page.Resources.XObject[name].Resources.XObject.values()
            assert image.Subtype == "/Image"


def test_an_rgb_profile_is_refused_as_a_cmyk_output_condition(tmp_path):
    from PIL import ImageCms

    rgb = tmp_path / "srgb.icc"
    rgb.write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    with pytest.raises(ProfileError, match="not CMYK"):
        cmyk_target(rgb)
    junk = tmp_path / "junk.icc"
    junk.write_bytes(b"not a profile")
    with pytest.raises(ProfileError, match="not an ICC profile"):
        cmyk_target(junk)
