"""GET /healthz and GET /api/counter."""

from __future__ import annotations

import json

import redis
from flask import Response, abort, jsonify, request
from flask_babel import get_locale
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cardsapp.extensions import csrf, db
from cardsapp.queue import job_queues
from cardsapp.services.counter import CounterReading
from cardsapp.web import public_view
from cardsapp.web.api import bp
from cardsapp.web.shared import share

csrf.exempt(bp)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Whether the database and Redis answer; 200 when both do, else 503."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "down"
    try:
        job_queues().connection.ping()
    except redis.RedisError:
        checks["redis"] = "down"
    healthy = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if healthy else "degraded", **checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


def _counter_json(reading: CounterReading | None) -> str:
    if reading is None:
        return json.dumps({"participants": 0, "cards": 0, "updated": None})
    return json.dumps(
        {
            "participants": reading.participants,
            "cards": reading.cards,
            "updated": reading.updated.isoformat(timespec="seconds"),
        }
    )


@bp.get("/api/counter")
def counter() -> Response:
    """Aggregate counts for embedding: participants and cards (?campaign=<slug> for one)."""
    slug = request.args.get("campaign", "")
    public = public_view(slug)
    if slug and public.campaign is None:
        abort(404)
    share(public, str(get_locale() or "en"))
    response = Response(public.page(("counter",), lambda: _counter_json(public.counter)))
    response.mimetype = "application/json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=15"
    return response
