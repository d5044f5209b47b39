"""The writing page as it is shown: the form, its choices, its errors and its counter."""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf

from cardsapp.domain.text import grapheme_count
from cardsapp.models import Campaign
from cardsapp.services.campaigns import campaign_phase
from cardsapp.services.public import PublicView
from cardsapp.services.submissions import offered_designs
from cardsapp.web.donate.campaign import available_designs, language
from cardsapp.web.donate.forms import WriteForm

# Holds the place of the visitor's form token in the blank writing page kept for everyone.
_VISITOR_FIELD_PLACE = "\x00form-token\x00"


def blank_write_page(public: PublicView, campaign: Campaign) -> str:
    """The empty writing page, made once per language; only its form token is the visitor's."""
    token = generate_csrf()

    def page() -> str:
        html, _status = write_page(write_form(public), campaign)
        return html.replace(token, _VISITOR_FIELD_PLACE)

    return public.page(("write", language()), page).replace(_VISITOR_FIELD_PLACE, token)


def write_form(public: PublicView) -> WriteForm:
    """The form, filled from the request, offering the campaign's designs and recipients."""
    assert public.campaign is not None
    form = WriteForm()
    lang = language()
    form.set_choices(
        [(d.slug, d.title(lang)) for d in offered_designs(public.campaign, available_designs())],
        list(public.recipients),
    )
    return form


def write_page(
    form: WriteForm,
    campaign: Campaign,
    *,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    preview_url: str | None = None,
    honeypot_error: bool = False,
    general_error: str | None = None,
) -> tuple[str, int]:
    """The writing page with what the donor wrote, and why it was refused if it was."""
    lang = language()
    page = render_template(
        "donate/write.html",
        form=form,
        campaign=campaign,
        phase=campaign_phase(campaign),
        designs=[(d, d.title(lang)) for d in offered_designs(campaign, available_designs())],
        errors=errors or {},
        preview_url=preview_url,
        honeypot_error=honeypot_error,
        general_error=general_error,
        count_forms=_count_forms(),
        characters_left=campaign.max_message_length - grapheme_count(form.message.data or ""),
    )
    return page, status


def _count_forms() -> dict[str, dict[str, str]]:
    """Every plural form of the live counter's sentences, for write.js to pick with Intl."""
    samples = {"one": 1, "few": 2, "many": 5, "other": 5}
    return {
        "left": {
            category: ngettext(
                "%(count)s character left", "%(count)s characters left", n, count="{n}"
            )
            for category, n in samples.items()
        },
        "over": {
            category: ngettext(
                "%(count)s character too many", "%(count)s characters too many", n, count="{n}"
            )
            for category, n in samples.items()
        },
    }
