"""What the serving process of `kpibot run` loads: migrations run in a child process, and the
libraries of reports, charts and spreadsheets load on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.bot.test_cli import kpibot

# What `kpibot run` imports before serving (bot/cli/service.py).
SERVING = (
    "import sys, bot.cli.service; bot.cli.service.leave_unloaded(); "
    "import bot.app, bot.serve; print(*sorted(n for n, m in sys.modules.items() if m))"
)
LOADED_ON_USE = (
    "alembic",
    "mako",
    "openpyxl",
    "matplotlib",
    "numpy",
    "PIL",
    "tornado",
    "rich",
    "trio",
)


def test_the_serving_process_leaves_heavy_libraries_unloaded() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVING], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = {name.partition(".")[0] for name in result.stdout.split()}
    assert "telegram" in loaded and "sqlalchemy" in loaded
    assert loaded.isdisjoint(LOADED_ON_USE), loaded & set(LOADED_ON_USE)


def test_the_calendar_loads_the_holidays_of_vietnam_alone() -> None:
    # holidays.countries' own __init__ would import all of its 250 countries (about 7 MB).
    # Two threads ask at once, as the sweep's thread and a handler do.
    code = (
        "import sys; from concurrent.futures import ThreadPoolExecutor; "
        "from kpi.national import national_days; "
        "assert all(ThreadPoolExecutor(2).map(national_days, (2026, 2030))); "
        "print(*sorted(n for n in sys.modules if n.startswith('holidays.countries')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["holidays.countries.vietnam"]


def test_run_upgrades_the_database_before_serving_and_says_why_it_cannot(
    env: dict[str, str], tmp_path: Path
) -> None:
    # The migrations run in a child process: its one line is run's one line, with its status.
    missing = tmp_path / "no" / "such" / "directory" / "kpibot.db"
    broken = env | {"KPIBOT_TOKEN": "123:TEST", "KPIBOT_DATABASE_URL": f"sqlite:///{missing}"}
    result = kpibot("run", env=broken)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[0]  # SQLAlchemy adds a line of its own
    assert line.startswith("kpibot: cannot open the database (KPIBOT_DATABASE_URL)")
    assert "Traceback" not in result.stderr
