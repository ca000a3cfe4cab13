"""Clinic's signals, each sent *inside* the transaction of the change, so that notifications
(which clinic may not import) can act on its messages at once and commit or roll back with it.

- `patient_contact_changed`: a patient's contact details or consents changed. Sent by
  `clinic.services.profile_update` and `user_email_update`, whether the change came through
  `me/`, the API or the Django admin. Arguments: `patient` (the patient now), `changed` (the
  names of the fields that changed, of `phone`, `email`, `sms_opt_in`, `email_opt_in`, `state`,
  `timezone`).
- `specialist_contact_changed`: a specialist's phone, email or alerts choices (`sms_alerts`,
  `email_alerts`) changed. Sent by `clinic.services.specialist_update` (`me/`, the Alerts page,
  the admin's `specialists/{id}/` and the Django admin) and `user_email_update`. Arguments:
  `specialist` (the specialist now, with their user), `changed` (the names of the fields that
  changed, of `phone`, `email`, `sms_alerts`, `email_alerts`).
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
specialist_contact_changed = Signal()
caregiver_added = Signal()
caregiver_consented = Signal()
caregiver_withdrawn = Signal()
