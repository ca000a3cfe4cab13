"""State changes of scheduling: `availability` (rules, slots, time off) and `bookings`."""
