"""`python -m bot` does what the `kpibot` command does."""

from bot.cli import main

main()
