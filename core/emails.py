"""The one spelling of an email address: how accounts store it, and how the sign-in lockout and
the per-account throttle key it. They must agree exactly, or a different spelling of the same
address would be a way round the lockout."""


def email_normalized(email: str) -> str:
    return email.strip().lower()
