"""The benchmarks: slot search, next available and booking throughput (`bench.run`), and the
reminder pipeline's drain and dispatcher tick (`bench.reminders`), on PostgreSQL.

Run from the repository root: `.venv/bin/python -m bench.run` (or `make bench`) and
`.venv/bin/python -m bench.reminders` (or `make bench-notifications`). Not part of the test
suite; nothing here is imported by the application.
"""
