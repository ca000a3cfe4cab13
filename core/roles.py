"""The three roles of the API. A user's role is a plain field (`clinic.models.User.role` takes
these choices), so the ground floor can test it without knowing the user model."""

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient"
    SPECIALIST = "specialist"
    ADMIN = "admin"
