"""Scheduling's periodic work: keep every schedule materialized to the rolling horizon."""

from celery import shared_task

from scheduling.services import rules


@shared_task
def slots_extend_horizon_task() -> int:
    return rules.slots_extend_horizon()
