"""The writing form. Its text checks live in the domain; this only parses and renders."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField

from cardsapp.services.submissions import ANY_RECIPIENT, Draft

# Generous upper bounds on what is even read; the real limits are the campaign's and are
# checked by the domain, which says in the donor's language what to change.
MAX_MESSAGE_INPUT = 10_000
MAX_SIGNATURE_INPUT = 500
MAX_HONEYPOT_INPUT = 200
MAX_TOKEN_INPUT = 64


def _clip(limit: int):
    def clip(value: str | None) -> str:
        return (value or "")[:limit]

    return clip


class WriteForm(FlaskForm):
    """design, message, signature, recipient, a honeypot and two buttons."""

    class Meta:
        # Choices are filled per request; a value not on offer is refused by the service
        # with our own translated sentence (WTForms has no Belarusian messages).
        locales = False

    design = RadioField(_l("Choose a design"), validate_choice=False)
    message = TextAreaField(_l("Text of the card"), filters=[_clip(MAX_MESSAGE_INPUT)])
    signature = StringField(_l("Signature (optional)"), filters=[_clip(MAX_SIGNATURE_INPUT)])
    recipient = SelectField(_l("Who receives your card"), validate_choice=False)
    # Honeypot: hidden from people (and from screen readers); bots fill every field.
    website = StringField(_l("Leave this field empty"), filters=[_clip(MAX_HONEYPOT_INPUT)])
    # One per draft: a second send of the same draft finds the first card (submissions.py).
    draft_token = HiddenField(filters=[_clip(MAX_TOKEN_INPUT)])
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send the card"))

    def set_choices(
        self, designs: list[tuple[str, str]], recipients: list[tuple[str, str]]
    ) -> None:
        """Offer these designs (slug, title) and recipients (public id, label)."""
        self.design.choices = designs
        self.recipient.choices = [(ANY_RECIPIENT, str(_l("Any of them")))]
        self.recipient.choices += recipients
        if not self.design.data and designs:
            self.design.data = designs[0][0]
        if not self.recipient.data:
            self.recipient.data = ANY_RECIPIENT

    def is_bot(self) -> bool:
        """True when the honeypot was filled."""
        return _filled(self.website.data)

    def draft(self) -> Draft:
        """What was typed and chosen, for the service."""
        return Draft(
            design=self.design.data or "",
            message=self.message.data or "",
            signature=self.signature.data or "",
            recipient=self.recipient.data or ANY_RECIPIENT,
            token=self.draft_token.data or "",
        )


def posted_draft(formdata: MultiDict[str, str]) -> Draft:
    """The draft a posted writing form carries, read as WriteForm reads it (first value,
    clipped) but without building the form: a live preview needs nothing else, and comes
    many times a minute from every donor who is writing."""
    return Draft(
        design=formdata.get("design") or "",
        message=(formdata.get("message") or "")[:MAX_MESSAGE_INPUT],
        signature=(formdata.get("signature") or "")[:MAX_SIGNATURE_INPUT],
        recipient=formdata.get("recipient") or ANY_RECIPIENT,
        token=(formdata.get("draft_token") or "")[:MAX_TOKEN_INPUT],
    )


def posted_is_bot(formdata: MultiDict[str, str]) -> bool:
    """`WriteForm.is_bot` for a posted form, without building the form."""
    return _filled((formdata.get("website") or "")[:MAX_HONEYPOT_INPUT])


def posted_preview(formdata: MultiDict[str, str]) -> bool:
    """Whether the form's Preview button sent it, read as its SubmitField reads it."""
    return formdata.get("preview", "") not in SubmitField.false_values


def _filled(value: str | None) -> bool:
    return bool((value or "").strip())
