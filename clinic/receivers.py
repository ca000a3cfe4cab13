"""What clinic hears from Django: session sign-ins and sign-outs (the Django admin, the pages),
recorded in the audit trail as API sign-ins are (`clinic.tokens.token_obtain`)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from clinic import tokens


@receiver(user_logged_in, dispatch_uid="clinic.session_signed_in")
def session_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    tokens.session_audit(user=user, action="login")


@receiver(user_logged_out, dispatch_uid="clinic.session_signed_out")
def session_signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:  # signing out with no one signed in
        tokens.session_audit(user=user, action="logout")
