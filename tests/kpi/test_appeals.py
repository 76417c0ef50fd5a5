"""Appeals: who may file them and until when, who decides, deciding once, and the reversal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.appeals import (
    AppealOutcome,
    AppealResult,
    DecideResult,
    appeal,
    appeal_deadline,
    appeal_last_day,
    check_decision,
    choose_decider,
    decide,
    open_appeals_for,
    who_is_asked,
)
from kpi.calendar import WorkCalendar
from kpi.deductions import reverse
from kpi.policy import Policy
from kpi.scoring import Quarter, score_card
from models import Appeal, AuditEvent, Deduction, Employee
from tests.concurrency import race
from tests.factories import HANOI, Org, local, make_deduction

CALENDAR = WorkCalendar(tz=HANOI)


DEDUCTED = local("2026-11-02")  # Monday
SOON = local("2026-11-03")


def deduction(
    session: Session,
    employee: Employee,
    author: Employee | None = None,
    *,
    at: datetime = DEDUCTED,
    criterion: str = "discipline_ethics",
    source: str = "manual",
) -> Deduction:
    return make_deduction(
        session, employee, criterion, "5", occurred_at=at, author=author, source=source
    )


def file(
    session: Session,
    policy: Policy,
    actor: Employee,
    deduction_id: int,
    *,
    now: datetime = SOON,
    reason: str = "Tôi có lý do chính đáng",
) -> AppealResult:
    return appeal(
        session=session,
        actor=actor,
        deduction_id=deduction_id,
        reason=reason,
        now=now,
        calendar=CALENDAR,
        policy=policy,
    )


def judge(
    session: Session, actor: Employee, appeal_id: int, accept: bool = True, reason: str = ""
) -> DecideResult:
    return decide(
        session=session,
        actor=actor,
        appeal_id=appeal_id,
        accept=accept,
        reason=reason,
        now=SOON + timedelta(hours=1),
    )


def filed(session: Session, policy: Policy, actor: Employee, target: Deduction) -> Appeal:
    result = file(session, policy, actor, target.id)
    assert result.outcome == AppealOutcome.OK and result.appeal is not None
    return result.appeal


def appeals(session: Session) -> list[Appeal]:
    session.expire_all()
    return list(session.exec(select(Appeal).order_by(col(Appeal.id))))


def reversals(session: Session) -> list[Deduction]:
    session.expire_all()
    query = select(Deduction).where(col(Deduction.reverses_id).is_not(None))
    return list(session.exec(query.order_by(col(Deduction.id))))


def audits(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- Filing -----------------------------------------------------------------------------------


def test_the_employee_appeals_and_the_authors_superior_decides(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.staff, org.leader)
    result = file(session, policy, org.staff, target.id, reason="  Tôi nghỉ có phép \x00")
    assert result.outcome == AppealOutcome.OK and result.appeal is not None
    assert result.deduction is not None and result.deduction.id == target.id
    [stored] = appeals(session)
    assert stored.id == result.appeal.id
    assert (stored.deduction_id, stored.employee_id, stored.decider_id) == (
        target.id,
        org.staff.id,
        org.director.id,
    )
    assert (stored.status, stored.reason, stored.created_at) == (
        "pending",
        "Tôi nghỉ có phép",
        SOON,
    )
    assert (stored.decided_at, stored.decided_by_id, stored.reversal_id) == (None, None, None)
    [event] = audits(session, "appeal.file")
    assert (event.actor_id, event.subject) == (org.staff.id, f"appeal:{stored.id}")
    assert "phép" not in event.details  # ids only


@pytest.mark.parametrize("actor", ["leader", "director", "admin", "outsider"])
def test_nobody_else_appeals_nor_learns_the_deduction_exists(
    session: Session, policy: Policy, org: Org, actor: str
) -> None:
    target = deduction(session, org.staff, org.leader)
    assert file(session, policy, org[actor], target.id) == AppealResult(AppealOutcome.NOT_FOUND)
    assert file(session, policy, org.staff, 999) == AppealResult(AppealOutcome.NOT_FOUND)
    assert appeals(session) == []


def test_reversed_deductions_and_reversals_cannot_be_appealed(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.staff, org.leader)
    cancelled = make_deduction(
        session, org.staff, "discipline_ethics", "5", occurred_at=DEDUCTED, reverses=target
    )
    assert file(session, policy, org.staff, target.id).outcome == AppealOutcome.ALREADY_REVERSED
    assert file(session, policy, org.staff, cancelled.id).outcome == AppealOutcome.ALREADY_REVERSED
    assert appeals(session) == []


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("", AppealOutcome.REASON_REQUIRED),
        (" \n ", AppealOutcome.REASON_REQUIRED),
        ("x" * 2001, AppealOutcome.REASON_TOO_LONG),
    ],
)
def test_an_appeal_needs_a_reason(
    session: Session, policy: Policy, org: Org, reason: str, outcome: AppealOutcome
) -> None:
    target = deduction(session, org.staff, org.leader)
    assert file(session, policy, org.staff, target.id, reason=reason).outcome == outcome
    assert appeals(session) == []


def test_one_pending_appeal_at_a_time(session: Session, policy: Policy, org: Org) -> None:
    target = deduction(session, org.staff, org.leader)
    first = filed(session, policy, org.staff, target)
    assert file(session, policy, org.staff, target.id).outcome == AppealOutcome.ALREADY_APPEALED
    assert (
        judge(session, org.director, first.id, accept=False, reason="Không có căn cứ").outcome
        == AppealOutcome.OK
    )
    # Rejected: the employee may still ask again within the window.
    second = filed(session, policy, org.staff, target)
    assert [a.status for a in appeals(session)] == ["rejected", "pending"]
    assert second.id != first.id


# Real dates across weekends and holidays: 31/8/2026 is a day off swapped for Saturday 22/8
# (a make-up working day), and 1-2/9 are National Day.
@pytest.mark.parametrize(
    ("deducted", "last_day"),
    [
        (local("2026-08-28", 16), "2026-09-09"),  # Friday: 3, 4, 7, 8, 9 September
        (local("2026-08-27", 23, 30), "2026-09-08"),  # Thursday night: 28/8, 3, 4, 7, 8/9
        (local("2026-08-21"), "2026-08-27"),  # Friday: the make-up Saturday 22/8 counts
        (local("2026-11-02", 0, 30), "2026-11-09"),  # 00:30 Monday is Monday in Hà Nội
        (local("2026-11-01", 23, 59), "2026-11-06"),  # Sunday: Monday is the first day
    ],
)
def test_appeal_until_the_end_of_the_fifth_working_day(
    session: Session, policy: Policy, org: Org, deducted: datetime, last_day: str
) -> None:
    target = deduction(session, org.staff, org.leader, at=deducted)
    last = appeal_last_day(deduction=target, calendar=CALENDAR, policy=policy)
    assert last == date.fromisoformat(last_day)
    closes = appeal_deadline(deduction=target, calendar=CALENDAR, policy=policy)
    assert closes == local(last_day, 0) + timedelta(days=1)
    too_late = file(
        session, policy, org.staff, target.id, now=local(last_day, 0) + timedelta(days=1)
    )
    assert too_late.outcome == AppealOutcome.TOO_LATE
    in_time = file(session, policy, org.staff, target.id, now=local(last_day, 23, 59, 59))
    assert in_time.outcome == AppealOutcome.OK


def test_the_window_is_the_policys(session: Session, policy: Policy, org: Org) -> None:
    strict = replace(policy, appeal_days=1)
    target = deduction(session, org.staff, org.leader, at=local("2026-08-28"))
    now = local("2026-09-03", 23, 59)  # the first working day after Friday 28/8
    assert file(session, strict, org.staff, target.id, now=now).outcome == AppealOutcome.OK
    other = deduction(session, org.staff, org.leader, at=local("2026-08-28"))
    late = local("2026-09-04")
    assert file(session, strict, org.staff, other.id, now=late).outcome == AppealOutcome.TOO_LATE


# --- Who decides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appellant", "author", "decider"),
    [
        ("staff", "leader", "director"),  # the author's superior
        ("outsider", "admin", "director"),  # an admin's deduction: the admin's own leader
        ("staff", None, "leader"),  # a breach or import: the appellant's own leader
        ("leader", None, "director"),
        ("staff", "top_admin", "leader"),  # the author has no leader: the appellant's
        ("leader", "director", None),  # ... unless that is the author: admins
        ("director", None, None),  # nobody above the appellant: admins
        ("director", "admin", None),  # the author's superior is the appellant: admins
        ("director", "top_admin", None),
    ],
)
def test_decider_selection(
    session: Session,
    policy: Policy,
    org: Org,
    appellant: str,
    author: str | None,
    decider: str | None,
) -> None:
    target = deduction(session, org[appellant], org[author] if author else None)
    expected = org[decider].id if decider else None
    assert choose_decider(session=session, deduction=target) == expected
    assert filed(session, policy, org[appellant], target).decider_id == expected


def test_a_breach_deduction_goes_to_the_appellants_leader(
    session: Session, policy: Policy, org: Org
) -> None:
    breach = deduction(
        session, org.leader, criterion="approval_timeliness", source="deadline_breach"
    )
    assert filed(session, policy, org.leader, breach).decider_id == org.director.id


# --- Deciding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        ("leader", AppealOutcome.NOT_ALLOWED),  # the author is not the decider
        ("other_leader", AppealOutcome.NOT_ALLOWED),
        ("outsider", AppealOutcome.NOT_ALLOWED),
        ("staff", AppealOutcome.NOT_ALLOWED),  # the appellant
        ("director", AppealOutcome.OK),  # the stored decider
        ("admin", AppealOutcome.OK),  # any admin
        ("top_admin", AppealOutcome.OK),
    ],
)
def test_who_may_decide(
    session: Session, policy: Policy, org: Org, actor: str, outcome: AppealOutcome
) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    assert judge(session, org[actor], pending.id).outcome == outcome
    assert [a.status for a in appeals(session)] == [
        "accepted" if outcome == AppealOutcome.OK else "pending"
    ]
    assert judge(session, org[actor], 999) == DecideResult(AppealOutcome.NOT_FOUND)


def test_admins_decide_what_nobody_else_can_but_not_their_own(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.admin, org.director)  # the admin's superior is the author
    own = filed(session, policy, org.admin, target)
    assert own.decider_id is None
    assert judge(session, org.admin, own.id).outcome == AppealOutcome.NOT_ALLOWED
    assert judge(session, org.director, own.id).outcome == AppealOutcome.NOT_ALLOWED
    assert open_appeals_for(session=session, decider=org.admin) == []
    assert [a.id for a in open_appeals_for(session=session, decider=org.top_admin)] == [own.id]
    assert judge(session, org.top_admin, own.id).outcome == AppealOutcome.OK


def test_accepting_reverses_the_deduction_in_the_same_decision(
    session: Session, policy: Policy, org: Org
) -> None:
    quarter = Quarter.of(DEDUCTED, HANOI)
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    card = score_card(session=session, employee=org.staff, quarter=quarter, policy=policy, tz=HANOI)
    assert card.total == 95
    result = judge(session, org.director, pending.id, reason=" Có đơn xin phép ")
    assert result.outcome == AppealOutcome.OK
    assert (
        result.appeal is not None and result.deduction is not None and result.reversal is not None
    )
    assert (result.appeal.status, result.appeal.decided_by_id) == ("accepted", org.director.id)
    assert (result.appeal.decision_reason, result.appeal.reversal_id) == (
        "Có đơn xin phép",
        result.reversal.id,
    )
    assert result.appeal.decided_at == SOON + timedelta(hours=1)
    assert result.deduction.id == target.id
    [reversal] = reversals(session)
    assert reversal.id == result.reversal.id
    assert (reversal.reverses_id, reversal.author_id, reversal.points) == (
        target.id,
        org.director.id,
        target.points,
    )
    assert reversal.reason == f"Appeal #{pending.id} accepted: Có đơn xin phép"
    card = score_card(session=session, employee=org.staff, quarter=quarter, policy=policy, tz=HANOI)
    assert (card.total, card.deductions) == (100, ())
    [event] = audits(session, "appeal.decide")
    assert (event.actor_id, event.subject) == (org.director.id, f"appeal:{pending.id}")
    assert "xin phép" not in event.details
    assert file(session, policy, org.staff, target.id).outcome == AppealOutcome.ALREADY_REVERSED


def test_rejecting_keeps_the_deduction(session: Session, policy: Policy, org: Org) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    result = judge(session, org.director, pending.id, accept=False, reason="Không có căn cứ")
    assert result.outcome == AppealOutcome.OK and result.reversal is None
    assert result.appeal is not None and result.appeal.status == "rejected"
    assert reversals(session) == []
    quarter = Quarter.of(DEDUCTED, HANOI)
    card = score_card(session=session, employee=org.staff, quarter=quarter, policy=policy, tz=HANOI)
    assert (card.total, [line.id for line in card.deductions]) == (95, [target.id])


def test_a_rejection_needs_a_reason(session: Session, policy: Policy, org: Org) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    for reason in ("", " \u200b "):
        result = judge(session, org.director, pending.id, accept=False, reason=reason)
        assert result.outcome == AppealOutcome.REASON_REQUIRED
    kept = judge(session, org.director, pending.id, accept=False, reason=" Không có căn cứ ")
    assert kept.appeal is not None and kept.appeal.decision_reason == "Không có căn cứ"


def test_a_deduction_cancelled_meanwhile_cannot_be_kept_by_a_rejection(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    reverse(session=session, actor=org.admin, deduction_id=target.id, reason="Nhầm", now=SOON)
    checked = check_decision(
        session=session, actor=org.director, appeal_id=pending.id, accept=False
    )
    assert checked.outcome == AppealOutcome.ALREADY_REVERSED
    assert checked.deduction is not None and checked.deduction.id == target.id
    result = judge(session, org.director, pending.id, accept=False, reason="Không có căn cứ")
    assert result.outcome == AppealOutcome.ALREADY_REVERSED
    assert [a.status for a in appeals(session)] == ["pending"]


def test_a_decision_is_final(session: Session, policy: Policy, org: Org) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    first = judge(session, org.director, pending.id)
    again = judge(session, org.admin, pending.id, accept=False, reason="Không có căn cứ")
    assert again.outcome == AppealOutcome.ALREADY_DECIDED
    assert again.appeal is not None and again.appeal.status == "accepted"
    assert again.reversal is not None and first.reversal is not None
    assert again.reversal.id == first.reversal.id
    assert judge(session, org.director, pending.id, reason="x" * 2001).outcome == (
        AppealOutcome.ALREADY_DECIDED
    )


def test_a_long_decision_reason_is_refused(session: Session, policy: Policy, org: Org) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    result = judge(session, org.director, pending.id, reason="x" * 2001)
    assert result.outcome == AppealOutcome.REASON_TOO_LONG
    assert [a.status for a in appeals(session)] == ["pending"]


def test_accepting_after_an_admin_reversed_it_meanwhile(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.staff, org.leader)
    pending = filed(session, policy, org.staff, target)
    by_admin = reverse(
        session=session, actor=org.admin, deduction_id=target.id, reason="Nhầm", now=SOON
    )
    assert by_admin.reversal is not None
    result = judge(session, org.director, pending.id)
    assert result.outcome == AppealOutcome.OK
    assert result.reversal is not None and result.reversal.id == by_admin.reversal.id
    assert [r.id for r in reversals(session)] == [by_admin.reversal.id]
    assert appeals(session)[0].reversal_id == by_admin.reversal.id


# --- Queries ----------------------------------------------------------------------------------


def test_open_appeals_for_each_decider(session: Session, policy: Policy, org: Org) -> None:
    mine = filed(session, policy, org.staff, deduction(session, org.staff, org.leader))
    theirs = filed(session, policy, org.outsider, deduction(session, org.outsider))
    admins = filed(session, policy, org.director, deduction(session, org.director))
    done = filed(session, policy, org.staff, deduction(session, org.staff, org.leader))
    judge(session, org.director, done.id, accept=False, reason="Không có căn cứ")

    def ids(who: Employee) -> list[int | None]:
        return [a.id for a in open_appeals_for(session=session, decider=who)]

    assert ids(org.director) == [mine.id]
    assert ids(org.other_leader) == [theirs.id]
    assert ids(org.leader) == []
    assert ids(org.admin) == [mine.id, theirs.id, admins.id]  # admins (HR): every open one
    assert ids(org.top_admin) == [mine.id, theirs.id, admins.id]


def test_the_author_of_a_deduction_never_decides_its_appeal(
    session: Session, policy: Policy, org: Org
) -> None:
    target = deduction(session, org.outsider, org.admin)  # an admin wrote it
    pending = filed(session, policy, org.outsider, target)
    assert pending.decider_id == org.director.id
    assert judge(session, org.admin, pending.id).outcome == AppealOutcome.NOT_ALLOWED
    assert [a.id for a in open_appeals_for(session=session, decider=org.admin)] == []
    assert [a.id for a in open_appeals_for(session=session, decider=org.top_admin)] == [pending.id]
    assert judge(session, org.top_admin, pending.id).outcome == AppealOutcome.OK


def test_an_unlinked_decider_leaves_the_asking_to_the_linked_admins(
    session: Session, policy: Policy, org: Org
) -> None:
    top_admins_appeal = filed(session, policy, org.staff, deduction(session, org.staff, org.leader))
    target = session.get_one(Deduction, top_admins_appeal.deduction_id)

    def asked() -> list[str]:
        found = who_is_asked(session=session, filed=top_admins_appeal, deduction=target)
        return [person.code for person in found]

    assert asked() == ["GD"]  # the director, linked
    org.director.telegram_id = None
    org.top_admin.telegram_id = 999  # AD is linked now; HR was already
    session.add_all([org.director, org.top_admin])
    session.commit()
    assert asked() == ["HR", "AD"]
    by_admin = filed(session, policy, org.outsider, deduction(session, org.outsider, org.admin))
    written = session.get_one(Deduction, by_admin.deduction_id)
    assert [p.code for p in who_is_asked(session=session, filed=by_admin, deduction=written)] == [
        "AD"
    ]  # never the admin who wrote it


# --- Races ------------------------------------------------------------------------------------


def test_two_appeals_at_once_make_one(
    db: sessionmaker[Session], session: Session, policy: Policy, org: Org
) -> None:
    for _round in range(5):
        target_id = deduction(session, org.staff, org.leader).id

        def press(s: Session, target_id: int = target_id) -> AppealResult:
            return file(s, policy, s.get_one(Employee, org.staff.id), target_id)

        results = race(db, press, press)
        outcomes = sorted(result.outcome for result in results)
        assert outcomes == sorted([AppealOutcome.OK, AppealOutcome.ALREADY_APPEALED])
    assert len(appeals(session)) == 5
    assert len(audits(session, "appeal.file")) == 5


@pytest.mark.parametrize("accepts", [(True, False), (True, True)])
def test_two_deciders_at_once_decide_once(
    db: sessionmaker[Session],
    session: Session,
    policy: Policy,
    org: Org,
    accepts: tuple[bool, bool],
) -> None:
    for _round in range(5):
        pending = filed(session, policy, org.staff, deduction(session, org.staff, org.leader))
        calls = [
            lambda s, who=who, accept=accept, appeal_id=pending.id: judge(
                s, s.get_one(Employee, who), appeal_id, accept, "Không có căn cứ"
            )
            for who, accept in zip((org.director.id, org.admin.id), accepts, strict=True)
        ]
        results = race(db, *calls)
        outcomes = [result.outcome for result in results]
        assert sorted(outcomes) == sorted([AppealOutcome.OK, AppealOutcome.ALREADY_DECIDED])
        winner = accepts[outcomes.index(AppealOutcome.OK)]
        loser = results[outcomes.index(AppealOutcome.ALREADY_DECIDED)]
        assert loser.appeal.status == ("accepted" if winner else "rejected")
    decided = appeals(session)
    accepted = [a for a in decided if a.status == "accepted"]
    assert len(reversals(session)) == len(accepted)
    assert {a.reversal_id is not None for a in accepted} <= {True}
    assert len(audits(session, "appeal.decide")) == 5
