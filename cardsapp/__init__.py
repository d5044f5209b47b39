"""cardsapp: greeting-card campaigns for people in hardship."""

from __future__ import annotations

from flask import Flask

from cardsapp.config import Config

AUDIENCES = ("all", "public")


def create_app(config: Config | None = None, audience: str = "all") -> Flask:
    """Build the web app: wiring only, everything comes from Config.

    audience="public" serves only the donors' pages and the counter: no staff route, no login,
    no address code, so donor pages can run as processes (or machines) of their own.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    from cardsapp import cli, errors, i18n, queue, security
    from cardsapp.extensions import csrf, db, limiter
    from cardsapp.logs import configure_logging
    from cardsapp.services.public import PublicCache
    from cardsapp.web import access, metrics, register_blueprints
    from cardsapp.web.overload import LateRequests
    from cardsapp.web.shared import SharedAnswers

    configure_logging()
    config = config or Config.from_env()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(config.flask_settings())
    app.extensions["cardsapp.config"] = config
    app.extensions["cardsapp.audience"] = audience
    app.extensions["cardsapp.public"] = PublicCache(
        config.public_cache_seconds, counter_period=config.counter_period_seconds
    )

    redis_url = config.redis_url or _embedded_redis_url(config)
    app.config["RATELIMIT_STORAGE_URI"] = _limits_storage_uri(redis_url)
    # Writing keeps working when Redis is down: limits fail open, see README.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}

    db.init_app(app)
    _tune_database(app)
    with app.app_context():
        security.guard_database(db.engine)
    csrf.init_app(app)
    limiter.init_app(app)
    queue.init_app(app, redis_url)
    i18n.init_app(app)
    if audience == "all":
        access.init_app(app)
    else:
        access.init_public_app(app)
    security.init_app(app)
    errors.init_app(app)
    register_blueprints(app, staff=audience == "all")
    if audience == "all":
        cli.init_app(app)
    app.wsgi_app = SharedAnswers(app, app.wsgi_app)  # type: ignore[method-assign]
    if config.proxy_hops and config.queue_limit_ms > 0:
        # Only a proxy stamps when a request arrived.
        app.wsgi_app = LateRequests(app.wsgi_app, config.queue_limit_ms)  # type: ignore[method-assign]
    if config.proxy_hops:
        # Behind nginx or Caddy: the client's address (for rate limits only) and https.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    metrics.init_app(app)
    return app


def _embedded_redis_url(config: Config) -> str:
    """Start (or adopt) the project's own redis-server when no REDIS_URL is given."""
    import atexit

    from cardsapp.redis_server import EmbeddedRedis

    server = EmbeddedRedis(config.instance_path / "redis").start()
    atexit.register(server.stop)
    return server.url


def _limits_storage_uri(redis_url: str) -> str:
    """Flask-Limiter spells unix sockets as redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _tune_database(app: Flask) -> None:
    """SQLite: WAL, foreign keys, a busy timeout and secure_delete on every connection."""
    from sqlalchemy import event

    from cardsapp.extensions import db
    from cardsapp.services.residue import sqlite_connection_pragmas

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            for pragma in sqlite_connection_pragmas():
                cursor.execute(pragma)
            cursor.close()
