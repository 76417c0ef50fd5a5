"""Benchmarks: scripts that print numbers (run them as `python -m benchmarks.NAME`)."""
