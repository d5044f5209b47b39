from datetime import timedelta

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.models import utcnow
from tests.factories import make_campaign


def test_healthz_says_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_answers_503_when_redis_is_down(database_url, tmp_path):
    app = create_app(config_for_tests(database_url, "redis://127.0.0.1:1/0", tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"] == "down" and response.json["database"] == "ok"


def test_pages_answer_503_not_a_traceback_when_the_database_is_gone(redis_url, tmp_path):
    missing = tmp_path / "no-such-dir" / "cards.sqlite3"
    app = create_app(config_for_tests(f"sqlite:///{missing}", redis_url, tmp_path))
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    page = client.get("/")
    assert page.status_code == 503
    assert b"Traceback" not in page.data and b"sqlite" not in page.data.lower()


def test_landing_shows_the_campaign_counter_and_the_way_to_write(client, app):
    make_campaign(db.session, participants_count=41, cards_count=57)
    db.session.commit()
    page = client.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Test cards" in text
    assert "41 people have taken part" in text and "57 cards written" in text
    assert "Write a card" in text


def test_landing_says_kindly_when_writing_has_closed_or_not_opened(client, app):
    now = utcnow()
    make_campaign(db.session, opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=1))
    db.session.commit()
    text = client.get("/").get_data(as_text=True)
    assert "has closed" in text and "Write a card" not in text


def test_counter_json_is_aggregate_and_embeddable(client, app):
    make_campaign(db.session, participants_count=3, cards_count=4)
    db.session.commit()
    response = client.get("/api/counter")
    assert response.json["participants"] == 3 and response.json["cards"] == 4
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]


def test_the_language_switch_never_redirects_off_site(client, app):
    response = client.get("/language/be?next=//evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "lang=be" in response.headers["Set-Cookie"]
