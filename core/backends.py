"""Integrations chosen by a setting, as Django chooses its email backend: the setting takes a
short name of the contract (`twilio`, `console`, `locmem`, `url`) or a dotted path to a class.

SMS (`SMS_BACKEND`, notifications.backends) and video (`VIDEO_PROVIDER`, scheduling.video)
resolve theirs here; email's `EMAIL_BACKEND` is read by Django itself, so config.settings
expands its short names with the same table shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.utils.module_loading import import_string


@cache
def _load(path: str) -> Any:
    return import_string(path)


def backend_class(name: str, short_names: Mapping[str, str]) -> Any:
    """The class a setting names: by its short name, else by its dotted path (imported once)."""
    return _load(short_names.get(name, name))
