"""Clinic's signals, each sent *inside* the transaction of the change, so that notifications
(which clinic may not import) can act on its messages at once and commit or roll back with it.

- `patient_contact_changed`: a patient's contact details or consents changed. Sent by
  `clinic.services.profile_update` and `user_email_update`, whether the change came through
  `me/`, the API or the Django admin. Arguments: `patient` (the patient now), `changed` (the
  names of the fields that changed, of `phone`, `email`, `sms_opt_in`, `email_opt_in`, `state`,
  `timezone`).
- `caregiver_added`: a patient named a caregiver, whose addresses are to be asked for consent.
  Argument: `caregiver`.
- `caregiver_consented`: one address of a caregiver consented (`channel` `sms` or `email`).
  Arguments: `caregiver`, `channel`.
- `caregiver_withdrawn`: a caregiver stopped, or was removed (sent before the row goes), and
  is to get nothing more. Argument: `caregiver`.

Sent by `clinic.caregivers`.
"""

from django.dispatch import Signal

patient_contact_changed = Signal()
caregiver_added = Signal()
caregiver_consented = Signal()
caregiver_withdrawn = Signal()
