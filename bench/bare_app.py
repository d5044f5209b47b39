"""The ceiling for bench/load.py: a bare Flask app answering "ok" on the same server."""

from flask import Flask


def create_bare_app() -> Flask:
    """A Flask app with one route and nothing else."""
    app = Flask(__name__)

    @app.get("/")
    def ok() -> str:
        return "ok"

    return app
