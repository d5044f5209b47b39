"""The writing page as it is shown: the form, its choices, its errors and its counter."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import render_template, request
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf

from cardsapp.domain.text import grapheme_count
from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.services.campaigns import campaign_phase
from cardsapp.services.public import PublicView
from cardsapp.services.submissions import is_draft_token, offered_designs, recipient_choices
from cardsapp.web.donate.campaign import available_designs, language
from cardsapp.web.donate.forms import WriteForm

# Hold the places of the visitor's own tokens in the blank writing page kept for everyone.
_VISITOR_FORM_TOKEN = "\x00form-token\x00"  # noqa: S105 (a placeholder)
_VISITOR_DRAFT_TOKEN = "\x00draft-token\x00"  # noqa: S105 (a placeholder)


def blank_write_page(public: PublicView, campaign: Campaign) -> str:
    """The empty writing page, made once per language; only its two tokens are the visitor's."""
    token = generate_csrf()

    def page() -> str:
        form = write_form(public)
        draft_token = form.draft_token.data
        html, _status = write_page(form, campaign)
        return html.replace(token, _VISITOR_FORM_TOKEN).replace(draft_token, _VISITOR_DRAFT_TOKEN)

    html = public.page(("write", language()), page)
    return html.replace(_VISITOR_FORM_TOKEN, token).replace(_VISITOR_DRAFT_TOKEN, new_draft_token())


def new_draft_token() -> str:
    """A random token naming one draft (see submissions.submit_card)."""
    return secrets.token_urlsafe(18)


def write_form(public: PublicView) -> WriteForm:
    """The form, filled from the request, offering the campaign's designs and recipients."""
    assert public.campaign is not None
    form = WriteForm()
    lang = language()
    # A short list or a search, never every recipient: 10,000 of them made a page of 1 MB.
    recipients = recipient_choices(
        db.session,
        public.campaign,
        search=request.form.get("recipient_search", "") if request.method == "POST" else "",
        chosen=form.recipient.data or "",
    )
    form.set_choices(
        [(d.slug, d.title(lang)) for d in offered_designs(public.campaign, available_designs())],
        recipients,
    )
    if not is_draft_token(form.draft_token.data or ""):
        form.draft_token.data = new_draft_token()
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
                "%(count)s character over the limit",
                "%(count)s characters over the limit",
                n,
                count="{n}",
            )
            for category, n in samples.items()
        },
    }
