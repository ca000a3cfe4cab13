"""Clinic's periodic work: delete the API tokens past their expiry."""

from celery import shared_task

from clinic import services


@shared_task
def tokens_purge_expired_task() -> int:
    return services.tokens_purge_expired()
