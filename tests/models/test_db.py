"""The migrated schema is the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select

from models import SweepMark
from models.db import alembic_config, insert_ignoring_duplicates, normalize_url, upgrade


def schema_drift(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_migrations_go_down_to_nothing_and_up_again(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    with engine.connect() as connection:
        tables = set(engine.dialect.get_table_names(connection))
    assert tables <= {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert schema_drift(engine) == []


def test_sqlite_runs_with_wal_and_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_an_insert_skips_rows_whose_unique_key_exists(session: Session) -> None:
    first = [{"name": "digest", "day": "2026-11-02"}, {"name": "other", "day": "2026-11-02"}]
    assert insert_ignoring_duplicates(session, SweepMark, first) == 2
    again = [{"name": "digest", "day": "2026-11-03"}, {"name": "third", "day": "2026-11-03"}]
    assert insert_ignoring_duplicates(session, SweepMark, again) == 1
    assert insert_ignoring_duplicates(session, SweepMark, []) == 0
    session.commit()
    days = {mark.name: mark.day for mark in session.exec(select(SweepMark))}
    assert days == {"digest": "2026-11-02", "other": "2026-11-02", "third": "2026-11-03"}
