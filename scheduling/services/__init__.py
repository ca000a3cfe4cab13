"""State changes of scheduling: `slots` (the one owner of a slot's status), `rules` (weekly
availability and the slots it materializes), `time_off` and `bookings` (with the `idempotency`
keys both take)."""
