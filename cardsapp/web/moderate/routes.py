"""GET /moderate, POST /moderate/<card_id>, bulk approval and the card picture."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel import Locale, dates
from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from cardsapp.domain.moderation import ReasonMissing, highlight
from cardsapp.extensions import db
from cardsapp.i18n import localized
from cardsapp.models import Campaign, Card, CardStatus
from cardsapp.render.designs import Design
from cardsapp.services.campaigns import campaign_by_slug, open_campaigns, staff_campaigns
from cardsapp.services.review import (
    AlreadyDecided,
    CardNotFound,
    Waiting,
    approve_unflagged,
    count_waiting,
    decide_card,
    list_queue,
)
from cardsapp.services.submissions import DUPLICATE_FLAG
from cardsapp.web.moderate import bp
from cardsapp.web.moderate.forms import REASON_LABELS, BulkApproveForm, DecisionForm

PICTURE_WIDTH = 640
FLAG_LABELS = {
    "link": _l("link"),
    "email": _l("e-mail address"),
    "phone": _l("phone number"),
    "handle": _l("social media handle"),
    "watch_word": _l("watch word"),
    "shouting": _l("capital letters"),
    DUPLICATE_FLAG: _l("same text as an earlier card"),
}
_MARK = Markup('<mark class="flag flag-{}" title="{}">{}</mark>')


def _marked(text: str, flags: list[dict], field: str, labels: dict[str, str]) -> Markup:
    """A card's field with its own flagged runs marked (a flag without a field is the
    message's), escaped: cheaper here than in a template macro called for each card."""
    segments = highlight(text, [f for f in flags if f.get("field", "message") == field])
    return Markup("").join(
        _MARK.format(s.kind, labels.get(s.kind, s.kind), s.text) if s.kind else escape(s.text)
        for s in segments
    )


def _designs() -> dict[str, Design]:
    from cardsapp.render.designs import readable_designs

    return readable_designs(current_app.extensions["cardsapp.config"].designs_dir)


def _shown() -> tuple[Campaign | None, list[Campaign]]:
    """(the campaign ?campaign= picks, or None for all open; the campaigns whose cards show).

    Unfiltered, the queue is the open campaigns' work; a closed campaign's last cards are
    still reached by naming it, so that a moderator can finish its queue.
    """
    slug = request.values.get("campaign", "")
    chosen = campaign_by_slug(db.session, slug, staff=True) if slug else None
    if chosen is not None:
        return chosen, [chosen]
    return None, open_campaigns(staff_campaigns(db.session))


def _after() -> int:
    raw = request.values.get("after", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else 0


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _decided_message(exc: AlreadyDecided) -> str:
    if exc.status == CardStatus.REJECTED:
        return _("Another moderator has already rejected this card.")
    return _("Another moderator has already approved this card.")


@bp.get("")
def queue() -> str:
    """Submitted cards of every open campaign (or the one picked), oldest first, paged."""
    campaign, shown = _shown()
    campaigns = staff_campaigns(db.session)
    if not campaigns and campaign is None:
        return render_template("moderate/queue.html", campaign=None, campaigns=[], shown=[])
    counts = {c.id: count_waiting(db.session, c.id) for c in campaigns}
    open_ones = open_campaigns(campaigns)
    # Not open for writing but with cards still waiting: named below the filter, each
    # reached through its own ?campaign= link.
    unfinished = [c for c in campaigns if c not in open_ones and counts[c.id].count]
    after = _after()
    page = list_queue(db.session, [c.id for c in shown], after)
    titles = {c.id: localized(c.title) for c in shown}
    designs = _designs()
    language = _language()
    labels = {kind: str(label) for kind, label in FLAG_LABELS.items()}
    # Translated once for the page, filled in for each card.
    design_line, sent_line = _("Design: %(name)s"), _("Sent %(when)s")
    recipient_line, any_recipient = _("For: %(who)s"), _("For: any recipient")
    entries: list[dict[str, Any]] = []
    for entry in page.entries:
        card = entry.card
        flags = card.flags or []
        design = designs.get(card.design_slug)
        title = design.title(language) if design else card.design_slug
        who = entry.recipient_label
        entries.append(
            {
                "card": card,
                "meta": (
                    titles[card.campaign_id],
                    design_line % {"name": title},
                    recipient_line % {"who": who} if who else any_recipient,
                    sent_line % {"when": sent_at(card.submitted_at)},
                ),
                "message": _marked(card.message or "", flags, "message", labels),
                "signature": _marked(card.signature or "", flags, "signature", labels),
                "flags": flags,
            }
        )
    unflagged = [e["card"].id for e in entries if not e["flags"]]
    return render_template(
        "moderate/queue.html",
        campaign=campaign,
        campaigns=campaigns,
        open_campaigns=open_ones,
        unfinished=unfinished,
        picked_not_open=campaign is not None and campaign not in open_ones,
        shown=shown,
        counts=counts,
        entries=entries,
        waiting=_total_waiting(shown),
        after=after,
        next_after=page.next_after,
        form=DecisionForm(formdata=None),
        bulk_form=BulkApproveForm(formdata=None, card_ids=",".join(map(str, unflagged))),
        unflagged_count=len(unflagged),
        reason_labels=REASON_LABELS,
        flag_labels=labels,
    )


def _language() -> str:
    return str(get_locale() or "en")


def sent_at(moment: datetime) -> str:
    """When a card was sent, as flask_babel's format_datetime(moment, "short") says it in the
    moderator's language and time zone: to the minute, so said once for all the cards of a
    minute rather than once for each card on every page."""
    return _short_moment(moment.replace(second=0, microsecond=0), get_locale(), get_timezone())


@lru_cache(maxsize=1024)
def _short_moment(minute: datetime, locale: Locale | None, zone: tzinfo) -> str:
    return dates.format_datetime(minute, "short", tzinfo=zone, locale=locale)


@bp.post("/<int:card_id>")
def decide(card_id: int) -> BaseResponse | tuple[BaseResponse, int]:
    """Approve or reject one card; the second of two moderators is told it is taken."""
    form = DecisionForm()
    back = redirect(
        url_for("moderate.queue", campaign=request.values.get("campaign"), after=_after() or None)
    )
    if not form.validate():
        message = _("Choose approve or reject.")
        return _answer(False, message, back, 400)
    approve = form.action.data == "approve"
    try:
        status = decide_card(
            db.session,
            card_id,
            current_user.user.id,
            approve=approve,
            reason=form.reason.data or "",
            note=form.note.data or "",
        )
    except ReasonMissing:
        db.session.rollback()
        message = _("Choose a reason for the rejection (for “other”, say why).")
        return _answer(False, message, back, 400)
    except AlreadyDecided as exc:
        db.session.rollback()
        return _answer(False, _decided_message(exc), back, 409, status=str(exc.status))
    except CardNotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    message = _("Card approved.") if status == CardStatus.APPROVED else _("Card rejected.")
    return _answer(True, message, back, 200, status=str(status))


def _answer(
    ok: bool, message: str, back: BaseResponse, code: int, status: str | None = None
) -> BaseResponse | tuple[BaseResponse, int]:
    if _wants_json():
        return jsonify(ok=ok, message=message, status=status, waiting=_waiting_text()), code
    flash(message, "ok" if ok else "error")
    return back


def _total_waiting(campaigns: list[Campaign]) -> Waiting:
    counts = [count_waiting(db.session, c.id) for c in campaigns]
    return Waiting(sum(w.count for w in counts), any(w.more for w in counts))


def _waiting_text() -> str | None:
    _campaign, shown = _shown()
    if not shown:
        return None
    waiting = _total_waiting(shown)
    if waiting.more:
        return _("More than %(num)d cards are waiting.", num=waiting.count)
    return ngettext("%(num)d card is waiting.", "%(num)d cards are waiting.", waiting.count)


@bp.post("/approve-unflagged")
def approve_page() -> BaseResponse:
    """Approve every card without flags among those shown on the page."""
    form = BulkApproveForm()
    campaign, shown = _shown()
    back = redirect(url_for("moderate.queue", campaign=campaign.slug if campaign else None))
    if not form.validate() or not shown:
        flash(_("Nothing was approved."), "error")
        return back
    ids = [int(p) for p in (form.card_ids.data or "").split(",") if p.isdigit() and len(p) < 12]
    result = approve_unflagged(db.session, ids, current_user.user.id, [c.id for c in shown])
    db.session.commit()
    flash(
        _(
            "%(approved)d approved; %(taken)d already decided by someone else.",
            approved=len(result.approved),
            taken=len(result.already_decided),
        )
    )
    return back


@bp.get("/cards/<int:card_id>/picture.jpg")
def picture(card_id: int) -> BaseResponse:
    """The card as it will print, for the moderator's eyes only."""
    from cardsapp.domain.text import MessageError
    from cardsapp.render.preview import compose_preview

    card = db.session.get(Card, card_id)
    if card is None or card.message is None:
        abort(404)
    design = _designs().get(card.design_slug)
    if design is None:
        abort(404)
    try:
        image = compose_preview(design, card.message, card.signature or "", PICTURE_WIDTH)
    except (MessageError, ValueError, OSError):
        abort(404)
    response = Response(image, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"  # a message: never kept in a cache
    return response
