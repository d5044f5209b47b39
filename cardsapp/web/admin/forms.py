"""Admin forms: campaign settings, recipient import and caps, staff and audit filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from cardsapp.domain.languages import LANGUAGES
from cardsapp.models import PrintFormat, Role

LANGUAGE_NAMES = {"en": "English", "be": "Беларуская", "ru": "Русский"}
ROLE_LABELS = {
    Role.MODERATOR: _l("Moderator: reads and approves cards"),
    Role.PRINTER: _l("Printer: builds batches and prints cards"),
    Role.ADDRESSER: _l("Addresser: prints address labels"),
    Role.ADMIN: _l("Admin: everything, including this page"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _text_fields(prefix: str, label: object, area: bool, max_length: int) -> dict[str, object]:
    kind = TextAreaField if area else StringField
    return {
        f"{prefix}_{lang}": kind(
            # Lazy, so the label is translated when the page is drawn, not at import.
            _l("%(field)s (%(language)s)", field=label, language=LANGUAGE_NAMES[lang]),
            validators=[Optional(), Length(max=max_length)],
        )
        for lang in LANGUAGES
    }


class CampaignForm(FlaskForm):
    opens_at = DateTimeLocalField(
        _l("Writing opens"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("Writing closes"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    post_by = DateField(_l("Cards are posted by"), validators=[Optional()])
    max_message_length = IntegerField(
        _l("Longest message (characters)"), validators=[InputRequired(), NumberRange(50, 2000)]
    )
    watch_words = TextAreaField(
        _l("Watch words (one per line)"), validators=[Optional(), Length(max=20000)]
    )
    designs = MultiCheckboxField(_l("Designs offered"), choices=[])
    cap_per_batch = IntegerField(
        _l("Cards per recipient per batch"), validators=[InputRequired(), NumberRange(1, 10000)]
    )
    cap_per_campaign = IntegerField(
        _l("Cards per recipient per campaign"),
        validators=[InputRequired(), NumberRange(1, 10000)],
    )
    print_format = SelectField(
        _l("Cards are printed as"),
        choices=[
            SelectChoice(PrintFormat.FLAT.value, _l("Flat cards, A6, one side")),
            SelectChoice(PrintFormat.POSTCARD.value, _l("Postcards, A6, with a back to post")),
        ],
        default=PrintFormat.FLAT.value,
    )


for _name, _field in {
    **_text_fields("title", _l("Title"), False, 200),
    **_text_fields("story", _l("Story"), True, 5000),
    **_text_fields("guidance", _l("Writing guidance"), True, 5000),
    **_text_fields("back_text", _l("Words on the postcard's back"), True, 400),
}.items():
    setattr(CampaignForm, _name, _field)


class NewCampaignForm(FlaskForm):
    slug = StringField(
        _l("Short name in web addresses (a-z, 0-9, dashes)"),
        validators=[InputRequired(), Length(max=64)],
    )
    title = StringField(_l("Title (English)"), validators=[InputRequired(), Length(max=200)])
    timezone = StringField(_l("Time zone"), default="Europe/Minsk", validators=[Length(max=64)])
    opens_at = DateTimeLocalField(
        _l("Writing opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    closes_at = DateTimeLocalField(
        _l("Writing closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    copy_from = SelectField(_l("Copy texts, designs, caps and recipients from"), choices=[])
    # Copying re-seals the recipients' addresses: the old campaign's key must be opened.
    password = PasswordField(
        _l("Your password (only to copy recipients)"), validators=[Optional(), Length(max=1000)]
    )
    publish = BooleanField(_l("Publish at once (otherwise a draft that only staff see)"))


class MoveForm(FlaskForm):
    action = SelectField(choices=["publish", "open", "close", "archive"])


class ImportForm(FlaskForm):
    file = FileField(
        _l("File (.csv or .xlsx)"), validators=[FileRequired(_l("Choose a .csv or .xlsx file."))]
    )
    convert_cp1251 = BooleanField(
        _l("The file is in the Windows Cyrillic encoding (Windows-1251): convert it to UTF-8")
    )


class AddressForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    address_line1 = StringField(_l("Address line 1"), validators=[Length(max=120)])
    address_line2 = StringField(_l("Address line 2"), validators=[Length(max=120)])
    city = StringField(_l("City"), validators=[Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    country = StringField(_l("Country"), validators=[Length(max=120)])


class EraseForm(FlaskForm):
    confirm = BooleanField(_l("Yes, erase her address now; this cannot be undone"))


class CapsForm(FlaskForm):
    cap_per_batch = StringField(_l("Per batch"), validators=[Optional(), Length(max=6)])
    cap_per_campaign = StringField(_l("Per campaign"), validators=[Optional(), Length(max=6)])


class PauseForm(FlaskForm):
    pass


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter an e-mail.")),
            Length(max=254),
        ],
    )
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Give at least one role."))],
    )
    combine = BooleanField(_l("One person both prints and addresses: I confirm"))


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Give at least one role."))],
    )
    combine = BooleanField(_l("One person both prints and addresses: I confirm"))


class ActiveForm(FlaskForm):
    pass


class DeleteForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this account"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(_l("What"), choices=[], validators=[Optional()])
    actor = SelectField(_l("Who"), choices=[], validators=[Optional()])
    target = StringField(_l("On (e.g. card:12)"), validators=[Optional(), Length(max=100)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


def _password_field(label: object = None) -> PasswordField:
    return PasswordField(
        label or _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1000)],
    )


class AddressPasswordForm(FlaskForm):
    """Show one address: the password typed here opens it."""

    password = _password_field()


class GrantKeyForm(FlaskForm):
    """Give a colleague the campaign's address key; your password opens it to do so."""

    user_id = SelectField(_l("Colleague"), coerce=int, validate_choice=True)
    password = _password_field()


class RotateKeyForm(FlaskForm):
    """A new key pair for the campaign: every address re-sealed now."""

    password = _password_field()


class RecoverKeyForm(FlaskForm):
    """Take the campaign's key with its recovery code, when no keyholder is left."""

    recovery_code = StringField(
        _l("Recovery code"),
        validators=[DataRequired(_l("Enter the recovery code.")), Length(max=100)],
    )


class KeyActionForm(FlaskForm):
    """A button with a CSRF token: set up the key, or revoke a keyholder."""
