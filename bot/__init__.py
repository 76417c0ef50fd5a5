"""Assembly of kpibot: settings, i18n, the Application, the command line."""

import os

# Opt in to python-telegram-bot's timedelta API (RetryAfter.retry_after and friends); without it
# PTB 22 warns on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "1")
