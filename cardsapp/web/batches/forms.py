"""Forms of the batches page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from cardsapp.models import BatchLayout
from cardsapp.render.envelopes_pdf import DEFAULT_ENVELOPE, ENVELOPES
from cardsapp.render.labels_pdf import DEFAULT_SHEET
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


SHEET_LABELS = {
    "L7163": _l("A4, Avery L7163 (2 x 7)"),
    "5160": _l("Letter, Avery 5160 (3 x 10)"),
}


class LabelsForm(FlaskForm):
    """The labels download: the sheet, and the password that opens the addresses."""

    sheet = SelectField(
        _l("Label sheet"),
        choices=[SelectChoice(name, label) for name, label in SHEET_LABELS.items()],
        default=DEFAULT_SHEET,
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
    )


class EnvelopesForm(FlaskForm):
    """The envelopes download: the size, and the password that opens the addresses."""

    sheet = SelectField(
        _l("Envelope size"),
        choices=[SelectChoice(name, name) for name in ENVELOPES],
        default=DEFAULT_ENVELOPE,
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
    )
