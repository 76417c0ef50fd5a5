"""Serve the bot: long polling, or a webhook when one is configured; one HTTP server either way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Coroutine, Iterator
from urllib.parse import urlsplit

import uvicorn
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings, SettingsError
from bot.web import Webhook, web_app
from scheduler.jobs import stop_delivering
from services.container import Services

log = logging.getLogger(__name__)
RETRY_DELAYS = (
    1.0,
    2.0,
    4.0,
    8.0,
    15.0,
    30.0,
)  # seconds between tries to reach Telegram; last repeats


class _Server(uvicorn.Server):
    """uvicorn inside our loop: the signals are ours, not its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve(settings: Settings, svc: Services) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    asyncio.run(_serve(settings, svc))
    log.info("stopped")


async def _serve(settings: Settings, svc: Services) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = build_application(settings, svc)
    webhook = None
    if settings.webhook_url:
        path = urlsplit(settings.webhook_url).path or "/"
        webhook = Webhook(path=path, secret=settings.require_webhook_secret())
    listener = _listen(settings)
    server = _Server(
        uvicorn.Config(
            web_app(application, svc, webhook),
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",  # no WebSocket route: the protocol's library (wsproto) stays unloaded
            server_header=False,
        )
    )
    http = asyncio.create_task(server.serve(sockets=[listener]))
    log.info("HTTP on %s:%s (/healthz, /readyz, /metrics)", settings.listen, settings.port)
    try:
        if await _connect(application, stop):
            await _run(application, settings, stop)
    finally:
        server.should_exit = True
        await http
        listener.close()
        stop_delivering(application)
        if application.running:
            await application.stop()
        await application.shutdown()


def _listen(settings: Settings) -> socket.socket:
    """The server's socket, bound now so that a taken port is one clear line."""
    family = socket.AF_INET6 if ":" in settings.listen else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((settings.listen, settings.port))
    except OSError as exc:
        listener.close()
        raise SettingsError(
            f"KPIBOT_LISTEN/KPIBOT_PORT: cannot listen on {settings.listen}:{settings.port} "
            f"({exc.strerror})"
        ) from None
    return listener


async def _connect(application: Application, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Reach Telegram, trying again with a growing delay; False when told to stop first."""
    attempt = 0
    while not stop.is_set():
        try:
            if await _unless_stopped(_initialize(application), stop):
                return True
            return False
        except InvalidToken:
            raise SettingsError("KPIBOT_TOKEN: Telegram refuses this token") from None
        except NetworkError as exc:
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            attempt += 1
            log.warning(
                "Telegram is unreachable (%s); trying again in %.0f s", type(exc).__name__, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    return False


async def _initialize(application: Application) -> None:  # type: ignore[type-arg]
    await application.initialize()
    assert application.post_init is not None  # the command menu, as run_polling() would
    await application.post_init(application)


async def _unless_stopped(work: Coroutine[object, object, None], stop: asyncio.Event) -> bool:
    """Await `work` unless `stop` comes first (then cancel it); True when the work finished."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()
    return True


async def _run(application: Application, settings: Settings, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    await application.start()
    if settings.webhook_url:
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.require_webhook_secret(),
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("serving by webhook at %s", urlsplit(settings.webhook_url).path or "/")
    else:
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("serving by long polling")
    await stop.wait()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
