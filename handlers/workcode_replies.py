"""What the bot answers about work codes: refusals, the questions it asks, confirmations."""

from __future__ import annotations

from kpi.workcodes import WorkCodeOutcome
from locales.i18n import N_, Translator
from models import WorkCodeAction

REFUSALS = {
    WorkCodeOutcome.NOT_FOUND: N_("Work code #{id} was not found among your codes."),
    WorkCodeOutcome.NOT_ALLOWED: N_("You may not do this with work code #{id}."),
    WorkCodeOutcome.ALREADY_HANDLED: N_("Work code #{id} has already been handled."),
    WorkCodeOutcome.NO_LEADER: N_(
        "You have no direct leader in the roster, so you cannot open work codes yet. "
        "Please ask HR to update the roster."
    ),
    WorkCodeOutcome.EMPTY_TITLE: N_("The title is empty. Please write what the work is about."),
    WorkCodeOutcome.TITLE_TOO_LONG: N_(
        "The title is longer than 200 characters. Please shorten it."
    ),
    WorkCodeOutcome.COMMAND_AS_TITLE: N_(
        "A title cannot start with /. Please write the title as text."
    ),
    WorkCodeOutcome.DESCRIPTION_TOO_LONG: N_("The description is longer than 2,000 characters."),
    WorkCodeOutcome.TEXT_REQUIRED: N_("Please write the text; it cannot be empty."),
    WorkCodeOutcome.TEXT_TOO_LONG: N_(
        "The text is longer than 2,000 characters. Please shorten it."
    ),
    WorkCodeOutcome.REJECTION_IS_FINAL: N_(
        "Work code #{id} was rejected, and a rejection is final: it cannot be submitted again. "
        "To put the work forward anew, open a new code with /open."
    ),
}
PROMPTS = {
    WorkCodeAction.OPEN: N_("Send the title of the new work code (or /cancel)."),
    WorkCodeAction.REJECT: N_("Send the reason for rejecting work code #{id} (or /cancel)."),
    WorkCodeAction.OPINION: N_("Send your opinion on work code #{id} (or /cancel)."),
}


def refusal(tr: Translator, outcome: WorkCodeOutcome, code_id: int | None = None) -> str:
    """Why a request on a work code changed nothing."""
    return tr._(REFUSALS[outcome], id=code_id)


def prompt(tr: Translator, action: WorkCodeAction, code_id: int | None = None) -> str:
    """The question asked before a title, a reason or an opinion."""
    return tr._(PROMPTS[action], id=code_id)


DONE = {
    WorkCodeAction.APPROVE: N_("Work code #{id} is approved."),
    WorkCodeAction.REJECT: N_("Work code #{id} is rejected."),
    WorkCodeAction.OPINION: N_("Your opinion on work code #{id} was sent to the employee."),
    WorkCodeAction.WITHDRAW: N_("Work code #{id} is withdrawn."),
}


def done(tr: Translator, action: WorkCodeAction, code_id: int) -> str:
    """The confirmation of a transition the caller made."""
    return tr._(DONE[action], id=code_id)
