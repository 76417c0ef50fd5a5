"""Serve the bot: long polling, or a webhook when one is configured."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from services.container import Services

log = logging.getLogger(__name__)


def serve(settings: Settings, svc: Services) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    application = build_application(settings, svc)
    if settings.webhook_url:
        log.info("serving by webhook on %s:%s", settings.listen, settings.port)
        application.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.require_webhook_secret(),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("serving by long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    log.info("stopped")
