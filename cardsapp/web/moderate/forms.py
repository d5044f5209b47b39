"""The decision forms of the moderation queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, Length, Optional

from cardsapp.domain.moderation import MAX_NOTE_LENGTH, RejectionReason

REASON_LABELS = {
    RejectionReason.POLITICS: _l("Politics, slogans or symbols"),
    RejectionReason.CONTACT_DETAILS: _l("Links, phone numbers or contacts"),
    RejectionReason.NAMES: _l("Full names or other identifying details"),
    RejectionReason.UNKIND: _l("Unkind, offensive or frightening"),
    RejectionReason.NOT_A_CARD: _l("Not a card (spam, test, nonsense)"),
    RejectionReason.OTHER: _l("Other (say why)"),
}


class DecisionForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(["approve", "reject"])])
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice("", _l("Choose a reason…"))]
        + [SelectChoice(reason.value, label) for reason, label in REASON_LABELS.items()],
        validators=[Optional()],
    )
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    after = HiddenField()


class BulkApproveForm(FlaskForm):
    card_ids = HiddenField()
    after = HiddenField()
