"""The floor of this stack for a booking: a bare Django view doing only the claim transaction.

No DRF, no authentication, no policy checks, no signal: parse the body, claim the slot with the
same conditional UPDATE the booking service uses, insert the booking, commit. Whatever the real
endpoint costs beyond this is what the benchmark holds against its target.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from scheduling.models import Booking, Slot


@csrf_exempt
@require_POST
def claim(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with transaction.atomic():
        claimed = Slot.objects.filter(pk=body["slot"], status=Slot.Status.OPEN).update(
            status=Slot.Status.BOOKED
        )
        if claimed != 1:
            return JsonResponse({"detail": "Slot taken.", "code": "slot_unavailable"}, status=409)
        booking = Booking.objects.create(
            patient_id=body["patient"],
            slot_id=body["slot"],
            status=Booking.Status.CONFIRMED,
            reason=body.get("reason", ""),
        )
    return JsonResponse({"id": booking.pk, "slot": booking.slot_id}, status=201)
