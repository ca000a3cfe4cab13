"""Widgets of the pages' forms that Django's own do not cover well."""

from __future__ import annotations

from django import forms


class LongSelect(forms.Select):
    """A select of a long flat list (the time zones: over 500): its options written in one loop
    of one template. Django's own writes each option through a template include of its own,
    which cost the profile and sign-up pages about 40 ms. No option groups, no per-option
    attributes."""

    template_name = "web/widgets/long_select.html"
