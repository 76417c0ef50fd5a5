"""Invites: one per employee, only their hash kept, redeemed once, in time, by one account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.linking import (
    LinkOutcome,
    Move,
    UnknownEmployees,
    create_invites,
    hash_token,
    redeem_invite,
    set_locale,
)
from kpi.outbox import Draft
from models import AuditEvent, Employee, Invite, OutboxKind, OutboxMessage
from tests.concurrency import race
from tests.factories import local, make_employee

NOW = local("2026-11-02", 9)


def invite(session: Session, code: str, now=NOW, days: int = 14) -> str:
    [(_code, token)] = create_invites(
        session=session, codes=[code], all_unlinked=False, now=now, expires_days=days
    )
    return token


def redeem(session: Session, token: str, telegram_id: int, now=NOW):
    return redeem_invite(session=session, token=token, telegram_id=telegram_id, now=now)


def test_only_the_hash_of_a_token_is_kept(session: Session) -> None:
    make_employee(session, "NV1")
    token = invite(session, "NV1")
    [stored] = session.exec(select(Invite)).all()
    assert stored.token_hash == hash_token(token) != token
    assert stored.expires_at == NOW + timedelta(days=14)
    [audit] = session.exec(select(AuditEvent)).all()
    assert (audit.action, audit.details) == ("invite.create", "count=1")


def test_invites_for_codes_or_for_everyone_unlinked(session: Session) -> None:
    for code, telegram_id in (("NV3", None), ("NV1", None), ("NV2", 702)):
        make_employee(session, code, telegram_id=telegram_id)
    named = create_invites(
        session=session, codes=["NV2", "NV1", "NV2"], all_unlinked=False, now=NOW
    )
    assert [code for code, _token in named] == ["NV2", "NV1"]  # in order, each once
    unlinked = create_invites(session=session, codes=[], all_unlinked=True, now=NOW)
    assert [code for code, _token in unlinked] == ["NV1", "NV3"]
    with pytest.raises(UnknownEmployees) as raised:
        create_invites(session=session, codes=["NV1", "XX", "YY"], all_unlinked=False, now=NOW)
    assert raised.value.codes == ("XX", "YY")


@pytest.mark.parametrize(
    ("token", "telegram_id", "now", "outcome"),
    [
        ("good", 701, NOW, LinkOutcome.LINKED),
        ("good", 701, NOW + timedelta(days=14), LinkOutcome.EXPIRED),  # expiry is exclusive
        ("good", 702, NOW, LinkOutcome.ACCOUNT_TAKEN),  # this account acts for NV2 already
        ("used", 701, NOW, LinkOutcome.USED),
        ("x" * 32, 701, NOW, LinkOutcome.UNKNOWN),
        ("short", 701, NOW, LinkOutcome.MALFORMED),
        ("bad token with spaces here", 701, NOW, LinkOutcome.MALFORMED),
    ],
)
def test_redeeming(session: Session, token: str, telegram_id: int, now, outcome) -> None:
    make_employee(session, "NV1")
    make_employee(session, "NV2", telegram_id=702)
    tokens = {"good": invite(session, "NV1"), "used": invite(session, "NV1")}
    used = session.exec(select(Invite).where(Invite.token_hash == hash_token(tokens["used"]))).one()
    used.used_at = NOW
    session.add(used)
    session.commit()
    result = redeem(session, tokens.get(token, token), telegram_id, now)
    assert result.outcome is outcome
    linked = session.exec(select(Employee).where(Employee.code == "NV1")).one()
    assert linked.telegram_id == (telegram_id if outcome is LinkOutcome.LINKED else None)


def test_linking_again_with_the_same_account_says_so(session: Session) -> None:
    make_employee(session, "NV1")
    token = invite(session, "NV1")
    first = redeem(session, token, 701)
    assert (first.outcome, first.employee and first.employee.linked_at) == (LinkOutcome.LINKED, NOW)
    again = redeem(session, invite(session, "NV1"), 701)
    assert again.outcome is LinkOutcome.ALREADY_LINKED and again.employee is not None
    actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == ["invite.create", "account.link", "invite.create"]


def test_of_two_accounts_racing_with_one_invite_one_wins(
    session: Session, db: sessionmaker[Session]
) -> None:
    make_employee(session, "NV1")
    token = invite(session, "NV1")
    results = race(db, lambda s: redeem(s, token, 701), lambda s: redeem(s, token, 702))
    assert sorted(r.outcome for r in results) == sorted([LinkOutcome.LINKED, LinkOutcome.USED])
    session.expire_all()
    winner = next(r for r in results if r.outcome is LinkOutcome.LINKED)
    linked = session.exec(select(Employee).where(Employee.code == "NV1")).one()
    assert linked.telegram_id == (winner.employee.telegram_id if winner.employee else None)


def test_the_chosen_language_is_kept_and_audited(session: Session) -> None:
    employee = make_employee(session, "NV1", language="vi")
    set_locale(session=session, employee=employee, locale="en", now=NOW)
    session.expire_all()
    assert session.get_one(Employee, employee.id).chosen_locale == "en"
    [audit] = session.exec(select(AuditEvent)).all()
    assert (audit.action, audit.details, audit.actor_id) == (
        "account.language",
        "locale=en",
        employee.id,
    )


def test_the_linked_owner_opening_a_fresh_invite_spends_it(session: Session) -> None:
    make_employee(session, "NV1", telegram_id=701)
    token = invite(session, "NV1")
    assert redeem(session, token, 701).outcome is LinkOutcome.ALREADY_LINKED
    assert redeem(session, token, 799).outcome is LinkOutcome.USED  # a stranger, next
    session.expire_all()
    linked = session.exec(select(Employee).where(Employee.code == "NV1")).one()
    assert linked.telegram_id == 701
    assert redeem(session, token, 701).outcome is LinkOutcome.ALREADY_LINKED  # told, no change


def test_an_account_acting_for_someone_else_spends_the_invite_too(session: Session) -> None:
    make_employee(session, "NV1")
    make_employee(session, "NV2", telegram_id=702)
    token = invite(session, "NV1")
    assert redeem(session, token, 702).outcome is LinkOutcome.ACCOUNT_TAKEN
    assert redeem(session, token, 701).outcome is LinkOutcome.USED
    [spent] = session.exec(select(Invite)).all()
    assert spent.used_by_telegram_id == 702


def test_a_move_to_another_account_unlinks_the_old_one_tells_it_and_is_audited(
    session: Session,
) -> None:
    employee = make_employee(session, "NV1", telegram_id=701)
    moves: list[Move] = []

    def farewell(move: Move) -> Draft:
        moves.append(move)
        return Draft("bye", OutboxKind.ACCOUNT, move.previous_telegram_id, "bye", NOW)

    result = redeem_invite(
        session=session, token=invite(session, "NV1"), telegram_id=705, now=NOW, farewell=farewell
    )
    assert result.outcome is LinkOutcome.LINKED
    session.expire_all()
    assert session.get_one(Employee, employee.id).telegram_id == 705
    assert [(m.employee.id, m.previous_telegram_id) for m in moves] == [(employee.id, 701)]
    assert [m.chat_id for m in session.exec(select(OutboxMessage))] == [701]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "account.move")).one()
    assert audit.details.endswith("from=701 to=705")
