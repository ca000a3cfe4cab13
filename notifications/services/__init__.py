"""State changes of notifications: `writing` (rows with a booking), `dispatch` (claim due rows),
`sending` (one row through its statuses), `callbacks` (Twilio status and inbound keywords)."""
