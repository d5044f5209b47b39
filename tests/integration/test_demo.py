"""The demo is marked, refused in production, and removed without touching real data."""

from __future__ import annotations

from sqlalchemy import select, text

from cardsapp.extensions import Base, db
from cardsapp.models import Campaign, CardStatus, Role, User
from cardsapp.services.review import decide_card
from tests.factories import log_in, make_campaign, make_card, make_recipient, make_user
from tests.factories import staff_csrf_token as token


def dump_rows() -> dict[str, set[str]]:
    """Every row of every table, as the database returns it."""
    with db.engine.connect() as connection:
        return {
            table.name: {
                repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table.name}"))
            }
            for table in Base.metadata.sorted_tables
        }


def _real_data(app) -> None:
    real = make_campaign(db.session, slug="real-one", title={"en": "Real cards"})
    recipient = make_recipient(db.session, real, n=77)
    make_card(db.session, real, recipient=recipient, status=CardStatus.APPROVED)
    make_card(db.session, real)
    make_user(db.session, Role.ADMIN, email="organiser@example.net")


def test_demo_marks_its_campaign_and_staff(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert db.session.scalars(select(Campaign.demo)).all() == [True]
    assert set(db.session.scalars(select(User.demo))) == {True}


def test_demo_is_refused_in_production(app, runner):
    app.extensions["cardsapp.config"].env = "production"
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output
    assert db.session.scalar(select(Campaign.id)) is None


def test_removing_the_demo_leaves_real_data_byte_identical(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    _real_data(app)
    # A demo moderator's decision on a demo card, and the audit trail it leaves.
    demo_moderator = db.session.scalars(
        select(User).where(User.email == "moderator@example.org")
    ).one()
    demo_card = db.session.scalars(select(Campaign).where(Campaign.demo.is_(True))).one()
    first = db.session.execute(
        text("SELECT id FROM cards WHERE campaign_id = :c ORDER BY id LIMIT 1"), {"c": demo_card.id}
    ).scalar_one()
    decide_card(db.session, first, demo_moderator.id, approve=True)
    db.session.commit()
    before = dump_rows()

    result = runner.invoke(args=["demo", "--remove"])
    assert result.exit_code == 0, result.output
    after = dump_rows()

    for table, rows in after.items():
        assert rows <= before[table], table  # nothing real changed, byte for byte
    assert len(after["campaigns"]) == 1 and len(after["users"]) == 1
    assert len(after["cards"]) == 2 and len(after["recipients"]) == 1
    assert after["participants"] == set()
    assert not any("moderator" in str(row) for row in after["audit_events"])


def test_an_admin_removes_the_demo_with_a_confirmation(app, client, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    _real_data(app)
    db.session.commit()
    log_in(client, "organiser@example.net")
    assert "Remove the demo data" in client.get("/admin").get_data(as_text=True)
    assert "real data stays" in client.get("/admin/demo/remove").get_data(as_text=True)
    response = client.post(
        "/admin/demo/remove", data={"action": "archive", "csrf_token": token(client)}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Campaign.slug)).all() == ["real-one"]
    assert "Real cards" in client.get("/").get_data(as_text=True)
