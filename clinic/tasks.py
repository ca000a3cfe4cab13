"""Clinic's periodic work: delete the API tokens past their expiry."""

from celery import shared_task

from clinic import tokens


@shared_task
def tokens_purge_expired_task() -> int:
    return tokens.tokens_purge_expired()
