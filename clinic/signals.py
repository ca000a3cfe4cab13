"""Clinic's signal: a patient's contact details or consents changed.

Sent by `clinic.services.profile_update` and `user_email_update` *inside* their transaction,
whether the change came through `me/`, the API or the Django admin, so that notifications (which
clinic may not import) can make its waiting messages follow at once and commit or roll back with
the change.

Arguments: `patient` (the patient now), `changed` (the names of the fields that changed, of
`phone`, `email`, `sms_opt_in`, `email_opt_in`, `state`, `timezone`).
"""

from django.dispatch import Signal

patient_contact_changed = Signal()
