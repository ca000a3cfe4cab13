"""Scheduling's periodic work: keep every schedule materialized to the rolling horizon; pass
lapsed waitlist offers on and expire entries whose dates passed."""

from celery import shared_task

from scheduling.services import rules, waitlist
from scheduling.services.offers import offers_lapse_due


@shared_task
def slots_extend_horizon_task() -> int:
    return rules.slots_extend_horizon()


@shared_task
def offers_lapse_due_task() -> int:
    """Safe to run twice, and when late: an offer's expiry is decided by its `expires_at`."""
    waitlist.waitlist_expire_due()
    return offers_lapse_due()
