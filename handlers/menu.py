"""The bot's commands: one list feeds Telegram's menu and /help."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from locales.i18n import N_, Translator


class Audience(Enum):
    """Who may use a command."""

    ANYONE = "anyone"
    EMPLOYEE = "employee"
    LEADER = "leader"
    ADMIN = "admin"


@dataclass(frozen=True)
class Command:
    """A command, how it is called, and what it does."""

    name: str
    usage: str  # placeholders in capitals, translated: each language names them in its words
    description: str
    audience: Audience


COMMANDS = (
    Command("start", "/start", N_("Link your account with an invite"), Audience.ANYONE),
    Command("help", "/help", N_("What I can do for you"), Audience.ANYONE),
    Command("open", N_("/open TITLE"), N_("Open a work code for your leader"), Audience.EMPLOYEE),
    Command("mycodes", "/mycodes", N_("Your work codes and their state"), Audience.EMPLOYEE),
    Command(
        "withdraw", N_("/withdraw ID"), N_("Withdraw one of your work codes"), Audience.EMPLOYEE
    ),
    Command(
        "resubmit", N_("/resubmit ID"), N_("Submit a returned work code again"), Audience.EMPLOYEE
    ),
    Command("mytasks", "/mytasks", N_("Your assigned tasks"), Audience.EMPLOYEE),
    Command("assign", "/assign", N_("Assign a task to a direct report"), Audience.LEADER),
    Command(
        "excuse",
        N_("/excuse TASK error|delay REASON"),
        N_("Confirm an objective cause for a task's error or delay"),
        Audience.LEADER,
    ),
    Command("tasks", "/tasks", N_("Your direct reports' tasks"), Audience.LEADER),
    Command(
        "delegate",
        N_("/delegate [off]"),
        N_("Name an acting approver for some days, or cancel"),
        Audience.LEADER,
    ),
    Command("pending", "/pending", N_("Work codes waiting for your approval"), Audience.LEADER),
    Command("myscore", N_("/myscore [2026Q4]"), N_("Your KPI score and why"), Audience.EMPLOYEE),
    Command("team", N_("/team [QUARTER]"), N_("Your team's scores"), Audience.LEADER),
    Command(
        "deduct",
        N_("/deduct CODE CRITERION [POINTS] REASON"),
        N_("Log a deduction"),
        Audience.LEADER,
    ),
    Command("reverse", N_("/reverse ID REASON"), N_("Cancel a deduction (HR)"), Audience.ADMIN),
    Command(
        "appeal", N_("/appeal ID REASON"), N_("Appeal one of your deductions"), Audience.EMPLOYEE
    ),
    Command("appeals", "/appeals", N_("Appeals waiting for your decision"), Audience.LEADER),
    Command("cancel", "/cancel", N_("Cancel the question I asked"), Audience.EMPLOYEE),
    Command("language", "/language vi|en", N_("Change the language"), Audience.EMPLOYEE),
)


def allowed(command: Command, *, linked: bool, leader: bool, admin: bool) -> bool:
    """Whether a caller with these traits may use `command`."""
    match command.audience:
        case Audience.ANYONE:
            return True
        case Audience.EMPLOYEE:
            return linked
        case Audience.LEADER:
            return leader or admin
        case Audience.ADMIN:
            return admin


def menu(tr: Translator) -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's menu in `tr`'s language."""
    return [(c.name, tr._(c.description)) for c in COMMANDS]
