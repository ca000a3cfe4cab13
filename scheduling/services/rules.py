"""Weekly availability rules, and the slots they materialize over the rolling horizon.

Creating a rule materializes its slots at once; editing one regenerates its future open slots
and withdraws the booked ones it no longer yields; the daily job extends every schedule to the
horizon. What a rule yields is `scheduling.expansion`; the slots themselves change through
`scheduling.services.slots`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.models import Specialist, User, VisitType
from core.audit import audit_event_record
from core.errors import InvalidInput
from scheduling.expansion import horizon_end, rule_intervals
from scheduling.models import AvailabilityRule
from scheduling.services.slots import (
    check_offered,
    lock_specialist,
    slot_materialize,
    slot_remove_unbooked,
    slot_withdraw,
)


def _materialize(specialist: Specialist, rules: Iterable[AvailabilityRule], now: dt.datetime) -> int:
    """Create the missing future slots of `rules` up to the horizon; returns how many."""
    until = horizon_end(now)
    candidates = (
        (rule, interval)
        for rule in rules
        for interval in rule_intervals(rule, specialist.timezone, rule.visit_type.duration, now, until)
    )
    return slot_materialize(specialist=specialist, candidates=candidates, since=now, until=until)


def _state(rule: AvailabilityRule) -> dict[str, object]:
    """What the audit trail keeps of a rule: all of it (a schedule holds no PHI)."""
    return {
        "specialist": rule.specialist_id,
        "weekday": rule.weekday,
        "start_time": rule.start_time.isoformat(),
        "end_time": rule.end_time.isoformat(),
        "visit_type": rule.visit_type_id,
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
    }


def _check_rule(rule: AvailabilityRule, specialist: Specialist) -> None:
    """Refuse a new or changed rule (not saved yet) that cannot be offered as it stands."""
    weekday, start_time, end_time = rule.weekday, rule.start_time, rule.end_time
    valid_from, valid_until, visit_type = rule.valid_from, rule.valid_until, rule.visit_type
    if not 0 <= weekday <= 6:
        raise InvalidInput("The weekday is 0 (Monday) to 6 (Sunday).", fields={"weekday": ["0 to 6."]})
    if start_time >= end_time:
        raise InvalidInput(
            "The start must be before the end.", fields={"end_time": ["Must be after start_time."]}
        )
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput(
            "The rule ends before it starts.",
            fields={"valid_until": ["Must not be before valid_from."]},
        )
    span = dt.datetime.combine(dt.date.min, end_time) - dt.datetime.combine(dt.date.min, start_time)
    if span < visit_type.duration:
        raise InvalidInput(
            "The window is shorter than one visit.",
            fields={"end_time": ["Too short for this visit type."]},
        )
    check_offered(specialist, visit_type)
    overlapping = AvailabilityRule.objects.filter(
        specialist=specialist, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    if rule.pk is not None:
        overlapping = overlapping.exclude(pk=rule.pk)
    if overlapping.exists():
        raise InvalidInput(
            "The rule overlaps another rule of this specialist.",
            code="rule_overlaps",
            fields={"start_time": ["Overlaps an existing rule."]},
        )


@transaction.atomic
def rule_create(
    *,
    specialist: Specialist,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    visit_type: VisitType,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    by: User | None = None,
) -> AvailabilityRule:
    """Add a weekly rule and its slots. `by` is who asked (the audit trail's actor)."""
    specialist = lock_specialist(specialist)
    valid_from = valid_from or timezone.now().astimezone(specialist.timezone).date()
    rule = AvailabilityRule(
        specialist=specialist,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        visit_type=visit_type,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _check_rule(rule, specialist)
    rule.save()
    _materialize(specialist, [rule], timezone.now())
    audit_event_record(actor=by, action="rule.created", obj=rule, before=None, after=_state(rule))
    return rule


RULE_FIELDS = ("weekday", "start_time", "end_time", "visit_type", "valid_from", "valid_until")


@transaction.atomic
def rule_update(
    *, rule: AvailabilityRule, changes: dict[str, object], by: User | None = None
) -> AvailabilityRule:
    """Change a rule and regenerate its future open slots; booked slots are never touched."""
    specialist = lock_specialist(rule.specialist)
    rule = AvailabilityRule.objects.select_for_update().get(pk=rule.pk)
    before = _state(rule)
    for field in RULE_FIELDS:
        if field in changes:
            setattr(rule, field, changes[field])
    _check_rule(rule, specialist)
    rule.save()
    now = timezone.now()
    slot_remove_unbooked(slots=rule.slots.filter(start__gt=now))
    yielded = {
        (interval.start, interval.end)
        for interval in rule_intervals(
            rule, specialist.timezone, rule.visit_type.duration, now, horizon_end(now)
        )
    }
    slot_withdraw(
        slot_ids=[
            slot.pk
            for slot in rule.slots.filter(start__gt=now)
            if slot.visit_type_id != rule.visit_type_id or (slot.start, slot.end) not in yielded
        ]
    )
    _materialize(specialist, [rule], now)
    audit_event_record(actor=by, action="rule.updated", obj=rule, before=before, after=_state(rule))
    return rule


@transaction.atomic
def rule_delete(*, rule: AvailabilityRule, by: User | None = None) -> None:
    lock_specialist(rule.specialist)
    future = rule.slots.filter(start__gt=timezone.now())
    slot_remove_unbooked(slots=future)
    slot_withdraw(slot_ids=list(future.values_list("pk", flat=True)))
    audit_event_record(actor=by, action="rule.deleted", obj=rule, before=_state(rule), after=None)
    rule.delete()


@transaction.atomic
def slots_extend(*, specialist: Specialist, now: dt.datetime | None = None) -> int:
    """Materialize every rule of one specialist up to the horizon (idempotent)."""
    specialist = lock_specialist(specialist)
    rules = specialist.rules.select_related("visit_type")
    return _materialize(specialist, rules, now or timezone.now())


def slots_extend_horizon(*, now: dt.datetime | None = None) -> int:
    """The daily job: extend every active specialist's slots to the rolling horizon.

    One transaction per specialist, so a long run never holds many locks.
    """
    total = 0
    for specialist in Specialist.objects.filter(is_active=True).only("pk").iterator():
        total += slots_extend(specialist=specialist, now=now)
    return total
