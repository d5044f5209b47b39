"""Pictures of cards: the live preview, the no-JavaScript preview and the design thumbnails."""

from __future__ import annotations

import threading

from flask import Response, abort, jsonify, request, session
from werkzeug.wrappers import Response as BaseResponse

from cardsapp.domain.layout import Layout
from cardsapp.extensions import db, limiter
from cardsapp.render.designs import Design
from cardsapp.render.preview import compose_thumbnail, preview_jpeg
from cardsapp.services.submissions import Draft, DraftRefused, check_draft
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import available_designs, config, current_campaign
from cardsapp.web.donate.forms import posted_draft
from cardsapp.web.donate.messages import sentences

PREVIEW_WIDTH_PX = 1000
THUMBNAIL_WIDTH_PX = 320
# Rendering is the one costly thing a stranger can ask for: a few at a time per process, so
# that a flood (even with Redis, and so the rate limits, down) cannot take every CPU.
_RENDER_SLOTS = threading.BoundedSemaphore(4)
_RENDER_WAIT_S = 5


def preview_limit() -> str:
    """The previews a client may ask for (Flask-Limiter's notation)."""
    return config().rate_limit_preview


@bp.post("/preview")
@bp.post("/c/<campaign_slug>/preview")
@limiter.shared_limit(preview_limit, "preview")
def preview(campaign_slug: str = "") -> Response | tuple[Response, int]:
    """The card exactly as it will print, as a JPEG; 422 with the reasons when it cannot be."""
    _public, campaign = current_campaign()
    if campaign is None:
        abort(404)
    try:
        checked = check_draft(db.session, campaign, posted_draft(request.form), available_designs())
    except DraftRefused as refused:
        said = sentences(refused)
        if request.accept_mimetypes.best == "application/json" or request.headers.get(
            "X-Requested-With"
        ):
            return jsonify(errors=said), 422
        body = "\n".join(said.values())
        return Response(body, status=422, mimetype="text/plain"), 422
    return jpeg(render(checked.design, checked.layout))


@bp.get("/preview.jpg")
@bp.get("/c/<campaign_slug>/preview.jpg")
@limiter.shared_limit(preview_limit, "preview")
def draft_image(campaign_slug: str = "") -> Response:
    """The no-JavaScript preview's picture, from the draft in the donor's session."""
    draft = session.get("draft")
    _public, campaign = current_campaign()
    if not isinstance(draft, dict) or campaign is None:
        abort(404)
    try:
        checked = check_draft(
            db.session,
            campaign,
            Draft(
                design=draft.get("d", ""), message=draft.get("m", ""), signature=draft.get("s", "")
            ),
            available_designs(),
        )
    except DraftRefused:
        abort(404)
    return jpeg(render(checked.design, checked.layout))


def render(design: Design, layout: Layout) -> bytes:
    """A card's picture, drawn in one of the process's few render slots (429 if none frees)."""
    if not _RENDER_SLOTS.acquire(timeout=_RENDER_WAIT_S):
        abort(429)
    try:
        return preview_jpeg(design, layout, width_px=PREVIEW_WIDTH_PX)
    finally:
        _RENDER_SLOTS.release()


def jpeg(data: bytes, cache: str = "private, no-store") -> Response:
    """A JPEG response, private unless told otherwise."""
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/designs/<slug>.jpg")
def design_thumbnail(slug: str) -> BaseResponse:
    """A design's bare artwork for the picker; the same bytes for everyone, cached long."""
    design = available_designs().get(slug)
    if design is None:
        abort(404)
    response = jpeg(
        compose_thumbnail(design, width_px=THUMBNAIL_WIDTH_PX), cache="public, max-age=86400"
    )
    response.add_etag()
    return response.make_conditional(request)
