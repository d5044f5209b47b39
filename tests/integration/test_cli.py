from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import Campaign, Card, Recipient, Role, User


def test_demo_fills_an_empty_database_and_prints_a_login_per_role(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in Role:
        assert f"{role.value}@example.org" in result.output
    assert db.session.scalar(select(func.count(Recipient.id))) == 12
    assert db.session.scalar(select(func.count(User.id))) == len(Role)
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.cards_count == db.session.scalar(select(func.count(Card.id))) > 0


def test_demo_refuses_to_mix_into_a_database_with_data(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert "already holds a campaign" in again.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_create_user_reads_the_password_from_standard_input(runner, app):
    result = runner.invoke(
        args=["create-user", "New.Person@example.org", "--role", "moderator", "--role", "printer"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "new.person@example.org"
    assert user.roles == {Role.MODERATOR, Role.PRINTER}
    assert "a long enough password" not in user.password_hash


def test_create_user_refuses_a_short_password(runner, app):
    result = runner.invoke(
        args=["create-user", "x@example.org", "--role", "admin"], input="short\n"
    )
    assert result.exit_code != 0
    assert "at least 12" in result.output
