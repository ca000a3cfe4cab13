"""Settings for the benchmark's server: the application's own, plus the floor view's URL.

Everything else (middleware, authentication, throttling, database options) is read from the
environment exactly as `config.settings` reads it, so the server measured is the real one.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
