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
