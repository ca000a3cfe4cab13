"""Forms whose fields are an API endpoint's input: the page lays the fields out, and the API's
own input serializer checks them, so a page and the API accept and refuse the same things (no
rule written twice). The serializer's errors land beside the fields they name."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from rest_framework import serializers


class ApiCheckedForm(forms.Form):
    """Set `api_input` to the endpoint's input serializer; after `is_valid()`, `validated` holds
    what it returned."""

    api_input: ClassVar[type[serializers.Serializer]]
    validated: dict[str, Any]

    def api_data(self) -> dict[str, Any]:
        """What the serializer is given (by default every cleaned field)."""
        return self.cleaned_data

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.errors:
            return self.cleaned_data
        checked = self.api_input(data=self.api_data())
        if not checked.is_valid():
            for name, errors in checked.errors.items():
                for error in errors:
                    self.add_error(name if name in self.fields else None, str(error))
            return self.cleaned_data
        self.validated = dict(checked.validated_data)
        return self.cleaned_data
