"""Benchmarks: our build against Hugo (run.py), search and the dev server."""
