"""Attaching files to work codes: who may, to which codes, how many and how large."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from kpi.attachments import (
    MAX_BYTES,
    MAX_FILES,
    WINDOW,
    AttachOutcome,
    SentFile,
    attach,
    attachments_of,
    just_opened,
)
from kpi.calendar import WorkCalendar
from kpi.workcodes import open_work_code, withdraw
from models import AttachmentKind, AuditEvent, WorkCode
from tests.factories import Org, local

OPENED = local("2026-11-02", 9)


def a_file(number: int, size: int | None = 1000) -> SentFile:
    return SentFile(
        AttachmentKind.DOCUMENT, f"BQAC{number}", f"AgAD{number}", f"{number}.pdf", size
    )


@pytest.fixture
def code(session: Session, org: Org) -> WorkCode:
    result = open_work_code(
        session=session,
        author=org.staff,
        title="Tờ trình",
        now=OPENED,
        calendar=WorkCalendar(),
        days=5,
    )
    assert result.code is not None
    return result.code


@pytest.mark.parametrize(
    ("size", "outcome"),
    [
        (None, AttachOutcome.OK),  # Telegram did not say: taken
        (MAX_BYTES, AttachOutcome.OK),
        (MAX_BYTES + 1, AttachOutcome.TOO_LARGE),
    ],
)
def test_a_file_up_to_the_size_limit(
    session: Session, org: Org, code: WorkCode, size: int | None, outcome: AttachOutcome
) -> None:
    result = attach(
        session=session, code_id=code.id or 0, author=org.staff, sent=a_file(1, size), now=OPENED
    )
    assert result.outcome is outcome


def test_only_the_author_and_only_while_it_is_open(
    session: Session, org: Org, code: WorkCode
) -> None:
    code_id = code.id or 0
    stranger = attach(
        session=session, code_id=code_id, author=org.clerk, sent=a_file(1), now=OPENED
    )
    assert stranger.outcome is AttachOutcome.NOT_FOUND
    missing = attach(session=session, code_id=999, author=org.staff, sent=a_file(1), now=OPENED)
    assert missing.outcome is AttachOutcome.NOT_FOUND
    withdraw(session=session, code_id=code_id, actor=org.staff, now=OPENED)
    closed = attach(session=session, code_id=code_id, author=org.staff, sent=a_file(1), now=OPENED)
    assert closed.outcome is AttachOutcome.CLOSED
    assert attachments_of(session=session, code_id=code_id) == []


def test_ten_different_files_at_most_each_audited(
    session: Session, org: Org, code: WorkCode
) -> None:
    code_id = code.id or 0
    outcomes = [
        attach(
            session=session, code_id=code_id, author=org.staff, sent=a_file(n), now=OPENED
        ).outcome
        for n in [1, 1, *range(2, MAX_FILES + 2)]
    ]
    assert outcomes == [
        AttachOutcome.OK,
        AttachOutcome.DUPLICATE,
        *[AttachOutcome.OK] * (MAX_FILES - 1),
        AttachOutcome.TOO_MANY,
    ]
    names = [row.file_name for row in attachments_of(session=session, code_id=code_id)]
    assert names == [f"{n}.pdf" for n in range(1, MAX_FILES + 1)]
    audited = session.exec(select(AuditEvent).where(AuditEvent.action == "workcode.attach")).all()
    assert len(audited) == MAX_FILES


@pytest.mark.parametrize(
    ("later", "found"),
    [(timedelta(0), True), (WINDOW, True), (WINDOW + timedelta(seconds=1), False)],
)
def test_files_sent_soon_after_opening_go_to_the_code(
    session: Session, org: Org, code: WorkCode, later: timedelta, found: bool
) -> None:
    got = just_opened(session=session, author_id=org.staff.id or 0, now=OPENED + later)
    assert (got is not None and got.id == code.id) is found
    assert just_opened(session=session, author_id=org.clerk.id or 0, now=OPENED) is None
