"""`kpibot invite`: one-time invite links that link Telegram accounts to employees."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.resources import database, fail, settings
from bot.config import Settings, SettingsError
from kpi.linking import UnknownEmployees, create_invites
from services.container import system_clock


def invite(
    codes: Annotated[list[str] | None, typer.Argument(help="Employee codes.")] = None,
    all_unlinked: Annotated[
        bool, typer.Option("--all-unlinked", help="Invite every employee not yet linked.")
    ] = False,
    expires_days: Annotated[
        int, typer.Option("--expires-days", min=1, max=365, help="Days the invites stay valid.")
    ] = 14,
) -> None:
    """Print one invite link per employee: `<code> <link>`."""
    if bool(codes) == all_unlinked:
        fail("name employee codes, or give --all-unlinked (not both)")
    config = settings()
    username = config.bot_username or asyncio.run(_bot_username(config))
    with database(config) as session:
        try:
            pairs = create_invites(
                session=session,
                codes=codes or [],
                all_unlinked=all_unlinked,
                now=system_clock(),
                expires_days=expires_days,
            )
        except UnknownEmployees as exc:
            fail(f"unknown employee code(s): {exc}")
    for code, token in pairs:
        typer.echo(f"{code} https://t.me/{username}?start={token}")


async def _bot_username(config: Settings) -> str:
    """Ask Telegram for the bot's username, which invite links name (KPIBOT_BOT_USERNAME spares
    the question, for invites made offline)."""
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = config.require_token()
        async with Bot(token, base_url=config.telegram_base_url.rstrip("/")) as bot:
            return bot.username
    except SettingsError as exc:
        fail(str(exc))
    except TelegramError as exc:
        fail(
            f"cannot reach Telegram to learn the bot's name ({exc}); to make invites offline, "
            "set KPIBOT_BOT_USERNAME to the bot's username"
        )
