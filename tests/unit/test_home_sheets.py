"""Home sheets: nothing prints where a home printer cannot, measured on the rasterised page."""

from __future__ import annotations

import io
import os

import pytest

from cardsapp.domain.envelopes import routing_code
from cardsapp.render import card_code
from cardsapp.render.card_code import (
    MIN_CODE_PT,
    background,
    contrast_ratio,
    place_code,
    warm_backgrounds,
)
from cardsapp.render.cards_pdf import PrintCard, render_cards_pdf
from cardsapp.render.designs import designs
from cardsapp.render.imposition import home_scale
from tests.prepress import ink_margins_mm

DESIGNS = designs()
PRINTER_MARGIN_MM = 5.0  # what laser and inkjet printers leave unprinted, at most


def every_design_card() -> list[PrintCard]:
    slugs = list(DESIGNS)
    return [
        PrintCard(slug, "Дарагая мама! Dear mum!", "Sam", routing_code("WWWWWWWW", "WWWWWW", 9, 9))
        for slug in slugs
    ]


@pytest.mark.parametrize("layout", ["home_a4", "home_letter"])
def test_every_mark_and_code_prints_at_least_5_mm_from_every_sheet_edge(layout):
    buffer = io.BytesIO()
    render_cards_pdf(buffer, every_design_card(), DESIGNS, layout)
    margins = ink_margins_mm(buffer.getvalue())
    assert len(margins) == 2
    for page in margins:
        assert min(page) >= PRINTER_MARGIN_MM, page
        # ... and no further than the marks need: the cards are as large as that allows.
        assert min(page) <= PRINTER_MARGIN_MM + 1.0, page


@pytest.mark.parametrize(("paper", "scale"), [("a4", 0.881), ("letter", 0.859)])
def test_a6_cards_print_at_the_scale_the_readme_states(paper, scale):
    assert home_scale(DESIGNS["plain"], paper) == pytest.approx(scale, abs=0.0005)


@pytest.mark.parametrize("slug", sorted(DESIGNS))
@pytest.mark.parametrize("scale", [1.0, 0.859])
def test_the_card_code_prints_at_6_pt_or_more_in_its_box_inside_the_safe_zone(slug, scale):
    design = DESIGNS[slug]
    code = place_code(design, routing_code("WWWWWWWW", "WWWWWW", 99, 99), scale)
    assert code.size_pt * scale >= MIN_CODE_PT >= 6
    box = design.card_code_box
    assert box.x >= 3 and box.y >= 3
    assert box.right <= design.width_mm - 3 and box.y + box.h <= design.height_mm - 3
    # Off the message and the signature.
    for other in (design.text_box, design.signature_box):
        assert (
            box.right <= other.x
            or other.right <= box.x
            or box.y + box.h <= other.y
            or (other.y + other.h <= box.y)
        )


@pytest.mark.parametrize("slug", sorted(DESIGNS))
def test_the_card_code_sits_on_a_clear_area_in_a_colour_that_keeps_contrast(slug):
    design = DESIGNS[slug]
    code = place_code(design, "K7QX2M9P · Q4X7K2 · 1/2")
    colour = (code.colour.red, code.colour.green, code.colour.blue)
    assert contrast_ratio(colour, background(design)) >= 4.5


def test_code_backgrounds_measured_in_the_worker_are_known_to_each_forked_build():
    card_code._background.cache_clear()
    fresh = {slug: background(design) for slug, design in DESIGNS.items()}
    card_code._background.cache_clear()
    warm_backgrounds(DESIGNS)
    measured = card_code._background.cache_info().misses
    child = os.fork()
    if child == 0:  # what an RQ job is: a fork of the worker, building one batch
        for design in DESIGNS.values():
            place_code(design, "K7QX2M9P · Q4X7K2 · 1/2", 0.881)
        known = card_code._background.cache_info().misses == measured
        same = all(background(d) == fresh[slug] for slug, d in DESIGNS.items())
        os._exit(0 if known and same else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
