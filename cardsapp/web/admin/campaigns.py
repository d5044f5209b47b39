"""GET /admin and a campaign's settings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from cardsapp.domain.languages import LANGUAGES
from cardsapp.extensions import db
from cardsapp.models import Campaign, PrintFormat, Recipient, User
from cardsapp.security import is_submission
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.campaign_lifecycle import allowed_actions
from cardsapp.services.campaigns import (
    CampaignSettings,
    SettingsError,
    all_campaigns,
    campaign_phase,
    missing_texts,
    parse_watch_words,
    update_campaign,
)
from cardsapp.web.admin import available_designs, bp, me
from cardsapp.web.admin.forms import (
    CampaignForm,
)


@bp.get("")
def overview() -> str:
    """What an admin looks after, with counts kept cheap."""
    campaigns = all_campaigns(db.session)
    paused = db.session.scalar(select(func.count(Recipient.id)).where(Recipient.paused)) or 0
    staff = db.session.scalar(select(func.count(User.id)).where(User.active)) or 0
    return render_template("admin/overview.html", campaigns=campaigns, paused=paused, staff=staff)


# --- campaign settings --------------------------------------------------------------------------


def _as_local(value: datetime, campaign: Campaign) -> datetime:
    """A stored moment as the campaign's own clock shows it, for the form's inputs."""
    return value.astimezone(ZoneInfo(campaign.timezone)).replace(tzinfo=None)


def _from_local(value: datetime, campaign: Campaign) -> datetime:
    return value.replace(tzinfo=ZoneInfo(campaign.timezone)).astimezone(UTC)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
def campaign_settings(campaign_id: int) -> Response | str:
    """Dates, texts in three languages, limits, watch words and designs."""
    campaign = db.get_or_404(Campaign, campaign_id)
    available = available_designs()
    form = CampaignForm()
    offered = sorted({*available, *campaign.designs})
    form.designs.choices = [SelectChoice(slug, slug) for slug in offered]
    if not is_submission():
        form.opens_at.data = _as_local(campaign.opens_at, campaign)
        form.closes_at.data = _as_local(campaign.closes_at, campaign)
        form.post_by.data = campaign.post_by
        form.max_message_length.data = campaign.max_message_length
        form.watch_words.data = "\n".join(campaign.watch_words)
        form.designs.data = list(campaign.designs)
        form.cap_per_batch.data = campaign.cap_per_batch
        form.cap_per_campaign.data = campaign.cap_per_campaign
        form.print_format.data = campaign.print_format.value
        for kind in ("title", "story", "guidance", "back_text"):
            texts = getattr(campaign, kind) or {}
            for lang in LANGUAGES:
                form[f"{kind}_{lang}"].data = texts.get(lang, "")
    elif form.validate_on_submit():
        settings = CampaignSettings(
            title={lang: form[f"title_{lang}"].data or "" for lang in LANGUAGES},
            story={lang: form[f"story_{lang}"].data or "" for lang in LANGUAGES},
            guidance={lang: form[f"guidance_{lang}"].data or "" for lang in LANGUAGES},
            opens_at=_from_local(form.opens_at.data, campaign),
            closes_at=_from_local(form.closes_at.data, campaign),
            post_by=form.post_by.data,
            max_message_length=form.max_message_length.data,
            watch_words=parse_watch_words(form.watch_words.data or ""),
            designs=list(form.designs.data or []),
            cap_per_batch=form.cap_per_batch.data,
            cap_per_campaign=form.cap_per_campaign.data,
            print_format=PrintFormat(form.print_format.data),
            back_text={lang: form[f"back_text_{lang}"].data or "" for lang in LANGUAGES},
        )
        try:
            changed = update_campaign(db.session, campaign, settings, available)
        except SettingsError as exc:
            db.session.rollback()
            _settings_error(form, exc)
        else:
            if changed:
                record_event(
                    db.session,
                    me().id,
                    AuditAction.CAMPAIGN_CHANGED,
                    f"campaign:{campaign.id}",
                    fields=changed,
                )
            db.session.commit()
            flash(_("The campaign settings are saved.") if changed else _("Nothing changed."))
            return redirect(url_for("admin.campaign_settings", campaign_id=campaign.id))
    return render_template(
        "admin/campaign.html",
        form=form,
        campaign=campaign,
        phase=campaign_phase(campaign),
        missing=missing_texts(campaign),
        moves=allowed_actions(campaign),
    )


def _settings_error(form: CampaignForm, exc: SettingsError) -> None:
    messages = {
        "missing": _("This is needed."),
        "before_opening": _("This must come after writing opens."),
        "out_of_range": _("Per batch must be at least 1 and no more than per campaign."),
        "too_many": _("Too many watch words, or one is longer than 60 characters."),
        "unknown": _("Offer only designs that exist."),
    }
    field = form._fields.get(exc.field, form.designs)
    field.errors = [*field.errors, messages.get(exc.code, exc.code)]
