"""Integrations chosen by a setting, as Django chooses its email backend: the setting takes a
short name of the contract (`twilio`, `console`, `locmem`, `url`) or a dotted path to a class.

SMS (`SMS_BACKEND`, notifications.backends) and video (`VIDEO_PROVIDER`, scheduling.video_providers)
resolve theirs here; email's `EMAIL_BACKEND` is read by Django itself, so config.settings
expands its short names with the same table shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string


@cache
def _load(path: str) -> Any:
    return import_string(path)


def backend_class(name: str, short_names: Mapping[str, str]) -> Any:
    """The class a setting names: by its short name, else by its dotted path (imported once)."""
    return _load(short_names.get(name, name))


def backend_check(
    setting: str, short_names: Mapping[str, str], check_id: str
) -> Callable[..., list[CheckMessage]]:
    """A system check that the class `setting` names can be imported: a wrong name is refused at
    start-up, not at the first message or visit that needs it."""

    def check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        name = getattr(settings, setting)
        try:
            backend_class(name, short_names)
        except ImportError as exc:
            choices = ", ".join(short_names)
            return [
                Error(
                    f"{setting}={name!r} names no class: {exc}",
                    hint=f"Use {choices} or a dotted path.",
                    id=check_id,
                )
            ]
        return []

    return check
