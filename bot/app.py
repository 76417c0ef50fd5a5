"""Build the python-telegram-bot Application that serves kpibot."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest, RequestData

from bot.config import Settings
from handlers import (
    appeals,
    approvals,
    assign,
    attachments,
    deduct,
    deductions,
    delegate,
    excuses,
    replies,
    score,
    start,
    tasks,
    workcodes,
)
from handlers.caller import services
from handlers.menu import menu
from kpi.policy import Policy
from locales.i18n import LOCALES, Translator
from notices.callbacks import (
    AppealButton,
    AssignButton,
    AttachmentsButton,
    ChartButton,
    DeductButton,
    DelegateButton,
    ExcuseButton,
    OpenTaskButton,
    TeamUnitButton,
    WorkCodeButton,
)
from scheduler.budget import Budget, Dropped
from scheduler.jobs import register_jobs
from services.container import Services, system_clock
from services.telemetry import Telemetry

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

log = logging.getLogger(__name__)


def services_for(
    settings: Settings,
    db: sessionmaker[Session],
    policy: Policy,
    clock: Callable[[], datetime] = system_clock,
) -> Services:
    """The services of a bot run with these settings."""
    return Services(db, policy, settings.tz, settings.default_locale, clock)


def build_application(
    settings: Settings,
    svc: Services,
    *,
    sweep_every: float | None = 60.0,
    budget: Budget | None = None,
) -> Application:  # type: ignore[type-arg]
    """The Application with every handler and the scheduler, talking to the configured Bot API.

    `sweep_every` is the sweep's period in seconds; None leaves sweeping to the caller (tests).
    `budget` paces every call (default: Telegram's limits).
    """
    base_url = settings.telegram_base_url.rstrip("/")
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .request(ObservedRequest(svc.telemetry, connection_pool_size=256))
        .get_updates_request(ObservedRequest(svc.telemetry))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        # One send path for answers and the outbox: Telegram's limits, flood waits, retries.
        .rate_limiter(budget or Budget())
        .post_init(_publish_commands)
        .build()
    )
    application.bot_data["services"] = svc
    _register(application)
    register_jobs(application, svc, sweep_every=sweep_every)
    return application


class ObservedRequest(HTTPXRequest):
    """PTB's HTTP client, telling the telemetry how Telegram answered each request."""

    def __init__(self, telemetry: Telemetry, **options: int) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.telemetry = telemetry

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        except NetworkError:
            self.telemetry.unreachable()
            raise
        self.telemetry.answered(url.rsplit("/", 1)[-1], status)
        return status, payload


def _register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, _count_update), group=-2)
    # Before anything else: a user who had blocked the bot and writes again gets held messages.
    application.add_handler(TypeHandler(Update, start.on_any_update), group=-1)
    application.add_handlers(
        [
            # Commands in groups are refused first: personal data stays in private chats.
            MessageHandler(filters.COMMAND & ~private, start.on_group_message),
            CommandHandler("start", start.cmd_start, private),
            CommandHandler("help", start.cmd_help, private),
            CommandHandler("language", start.cmd_language, private),
            CommandHandler("open", workcodes.cmd_open, private),
            CommandHandler("mycodes", workcodes.cmd_mycodes, private),
            CommandHandler("withdraw", workcodes.cmd_withdraw, private),
            CommandHandler("resubmit", workcodes.cmd_resubmit, private),
            CommandHandler("assign", assign.cmd_assign, private),
            CallbackQueryHandler(assign.on_button, pattern=AssignButton.ROUTE),
            CommandHandler("delegate", delegate.cmd_delegate, private),
            CallbackQueryHandler(delegate.on_button, pattern=DelegateButton.ROUTE),
            CommandHandler("excuse", excuses.cmd_excuse, private),
            CallbackQueryHandler(excuses.on_button, pattern=ExcuseButton.ROUTE),
            CommandHandler("mytasks", tasks.cmd_mytasks, private),
            CommandHandler("tasks", tasks.cmd_tasks, private),
            CommandHandler("pending", approvals.cmd_pending, private),
            CommandHandler("cancel", replies.cmd_cancel, private),
            CommandHandler("myscore", score.cmd_myscore, private),
            CommandHandler("team", score.cmd_team, private),
            CallbackQueryHandler(approvals.on_button, pattern=WorkCodeButton.ROUTE),
            CommandHandler("deduct", deduct.cmd_deduct, private),
            CallbackQueryHandler(deduct.on_button, pattern=DeductButton.ROUTE),
            CommandHandler("appeal", appeals.cmd_appeal, private),
            CommandHandler("appeals", appeals.cmd_appeals, private),
            CommandHandler("reverse", deductions.cmd_reverse, private),
            CallbackQueryHandler(workcodes.on_open_task, pattern=OpenTaskButton.ROUTE),
            CallbackQueryHandler(score.on_chart, pattern=ChartButton.ROUTE),
            CallbackQueryHandler(score.on_team_unit, pattern=TeamUnitButton.ROUTE),
            CallbackQueryHandler(appeals.on_decision, pattern=AppealButton.ROUTE),
            CallbackQueryHandler(attachments.on_files_button, pattern=AttachmentsButton.ROUTE),
            # A document or photo (a caption /open TITLE included) is a file for a work code.
            MessageHandler((filters.Document.ALL | filters.PHOTO) & private, attachments.on_file),
            # Plain text answers the question the bot asked (a title, a reason, an opinion),
            # or is a question in plain words ("điểm của tôi?").
            MessageHandler(filters.TEXT & ~filters.COMMAND & private, replies.on_text),
            MessageHandler(filters.COMMAND & private, start.on_unknown_command),
            # Last: a press no handler above knows (stale, forged) is still answered.
            CallbackQueryHandler(start.on_unknown_button),
        ]
    )
    application.add_error_handler(on_error)


async def _count_update(_update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services(context).telemetry.updates.inc()


async def _publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Set Telegram's command menu in every language (and the default one)."""
    svc: Services = application.bot_data["services"]
    for locale in LOCALES:
        commands = [BotCommand(n, d) for n, d in menu(Translator(locale, svc.tz))]
        await application.bot.set_my_commands(commands, language_code=locale)
    default = Translator(svc.default_locale, svc.tz)
    await application.bot.set_my_commands([BotCommand(n, d) for n, d in menu(default)])


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure by ids only, and tell the user something went wrong.

    A press is answered too, so the button stops spinning. An answer Telegram kept refusing was
    logged when dropped; no apology takes its place. Nor does an apology Telegram refuses (the
    user blocked the bot, the press was answered already) fail the handler in turn.
    """
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, Dropped):
        log.warning("update %s: the answer was dropped", update_id)
        return
    log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    svc = services(context)
    user = update.effective_user
    locale = user.language_code if user and user.language_code in LOCALES else None
    apology = Translator(locale or svc.default_locale, svc.tz)._(
        "Sorry, something went wrong. Please try again later."
    )
    if update.callback_query is not None:
        await _apologise(update_id, update.callback_query.answer(apology, show_alert=True))
    await _apologise(update_id, context.bot.send_message(update.effective_chat.id, apology))


async def _apologise(update_id: int | None, sending: Awaitable[object]) -> None:
    try:
        await sending
    except TelegramError as error:
        log.warning("update %s: the apology was refused (%s)", update_id, type(error).__name__)
