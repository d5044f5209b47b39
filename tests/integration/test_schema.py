from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from cardsapp.extensions import Base
from cardsapp.schema import upgrade_schema


def test_migrations_produce_the_schema_the_models_describe(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_init_db_twice_is_harmless_and_keeps_data(runner, app, database_url):
    from cardsapp.extensions import db
    from tests.factories import make_campaign

    assert runner.invoke(args=["init-db"]).exit_code == 0
    make_campaign(db.session)
    db.session.commit()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert inspect(db.engine).has_table("cards")
    from sqlalchemy import func, select

    from cardsapp.models import Campaign

    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_init_db_builds_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    engine = create_engine(url)
    upgrade_schema(engine)
    upgrade_schema(engine)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"campaigns", "recipients", "cards", "batches", "envelopes", "users"} <= tables
