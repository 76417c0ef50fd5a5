"""Reads of many rows: a read started beside the session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from kpi.bulk import beside
from models import Unit

UNITS = sa.select(sa.func.count()).select_from(Unit)


def _units(session: Session) -> int:
    return int(session.execute(UNITS).scalar_one())


@pytest.mark.usefixtures("org")
def test_a_read_beside_gives_what_the_session_reads(session):
    assert beside(session, _units)() == _units(session) > 0


@pytest.mark.usefixtures("org")
def test_a_read_beside_sees_the_snapshot_it_was_started_in(db):
    with db() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: on SQLite the read runs in the session when asked for")
        before = _units(session)
        later = beside(session, _units)
        with db() as writer:
            writer.add(Unit(name="Phòng mới lập"))
            writer.commit()
        assert _units(session) == before + 1  # the session reads committed rows anew
        assert later() == before
