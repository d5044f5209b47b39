"""A campaign's report for admins, and its CSV export."""

from __future__ import annotations

from flask import Response, render_template

from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.services.campaign_lifecycle import allowed_actions
from cardsapp.services.campaign_report import campaign_report, report_csv
from cardsapp.services.campaigns import campaign_phase
from cardsapp.web.admin import bp


@bp.get("/campaigns/<int:campaign_id>/report")
def report(campaign_id: int) -> str:
    """Participants, cards by status, design, language and day, batches, cards per recipient."""
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template(
        "admin/report.html",
        campaign=campaign,
        report=campaign_report(db.session, campaign),
        phase=campaign_phase(campaign),
        moves=allowed_actions(campaign),
    )


@bp.get("/campaigns/<int:campaign_id>/report.csv")
def report_download(campaign_id: int) -> Response:
    """The same figures as CSV (recipients by public id only)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    response = Response(
        report_csv(campaign_report(db.session, campaign)), mimetype="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-report.csv"'
    return response
