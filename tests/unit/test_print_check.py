"""What bench/print_check.py reports, asserted: codes clear of the trim, no label overflow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "print_check.py"


def _bench():
    spec = importlib.util.spec_from_file_location("print_check", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_card_code_prints_at_least_3_mm_inside_the_trim_on_every_layout():
    assert _bench().code_trim_mm() >= 3.0


def test_no_accepted_120_character_address_runs_outside_a_label_or_envelope():
    overflows, refused = _bench().label_overflows()
    assert overflows == 0
    assert refused == 2  # the two addresses that fit no Avery 5160 label
