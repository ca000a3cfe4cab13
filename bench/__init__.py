"""The benchmark: slot search, next available and booking throughput on PostgreSQL.

Run from the repository root: `.venv/bin/python bench/run.py` (or `make bench`). Not part of
the test suite; nothing here is imported by the application.
"""
