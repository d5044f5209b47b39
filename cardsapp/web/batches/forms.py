"""Forms of the batches page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from cardsapp.models import BatchLayout
from cardsapp.services.batches import MAX_CARDS

LAYOUT_LABELS = {
    BatchLayout.HOME_A4: _l("Home printer, A4, 4 a sheet"),
    BatchLayout.HOME_LETTER: _l("Home printer, Letter, 4 a sheet"),
    BatchLayout.PRINT_SHOP: _l("Print shop, 1 a page, bleed"),
}
MAX_OFFSET_MM = 10


class CreateBatchForm(FlaskForm):
    max_cards = IntegerField(
        _l("Cards in the batch (at most)"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_CARDS)],
    )
    layout = SelectField(
        _l("Layout"),
        choices=[SelectChoice(layout.value, label) for layout, label in LAYOUT_LABELS.items()],
        default=BatchLayout.HOME_A4.value,
    )


class MoveForm(FlaskForm):
    """Mark printed or mailed: a button with a CSRF token and nothing else."""


class CalibrationForm(FlaskForm):
    offset_x = DecimalField(
        _l("Move labels right by (mm, negative for left)"),
        places=1,
        validators=[InputRequired(), NumberRange(min=-MAX_OFFSET_MM, max=MAX_OFFSET_MM)],
    )
    offset_y = DecimalField(
        _l("Move labels down by (mm, negative for up)"),
        places=1,
        validators=[InputRequired(), NumberRange(min=-MAX_OFFSET_MM, max=MAX_OFFSET_MM)],
    )
