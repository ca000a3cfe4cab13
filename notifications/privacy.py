"""Minimum necessary, for the people who run the queue: enough of a recipient to tell two apart,
not enough to reach one. Every admin surface (the API, the Django admin, the dashboard) shows
contact details through these.
"""

from __future__ import annotations

import re

# Providers name the number or address they refused in their error text ("The 'To' number
# +1212... is not a valid phone number."): masked wherever such text is shown.
PHONE = re.compile(r"\+\d{7,15}\b")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")


def mask_recipient(recipient: str) -> str:
    """The last four digits of a phone, the domain of an email."""
    if "@" in recipient:
        return "***@" + recipient.rsplit("@", 1)[1]
    return "*" * max(len(recipient) - 4, 0) + recipient[-4:]


def mask_contacts(text: str) -> str:
    """Free text (a provider's error) with every phone number and email in it masked."""
    text = PHONE.sub(lambda match: mask_recipient(match.group()), text)
    return EMAIL.sub(lambda match: "***@" + match.group(1), text)
