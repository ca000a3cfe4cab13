"""The Content Security Policy: django-csp's middleware with the policy of settings, plus the inline
styles that two kinds of page need.

The policy (`CONTENT_SECURITY_POLICY` in settings) is strict everywhere: everything from the site
itself, no inline script, no plugins, no framing, no foreign `<base>` or form target. The Django
admin and the pages of `web/` live with it. Two kinds of page cannot do without inline styles:
the Swagger UI at /api/docs/ (its template's `<style>`, the style attributes its components set,
and its stylesheet's icons drawn as `data:` images), allowed there by `csp_update(SWAGGER_UI)` in
config/urls.py, and the browsable API (style attributes in DRF's templates), allowed below on
every answer DRF rendered with the browsable renderer. Scripts stay `'self'` on both.

Most answers (every API answer among them) take the policy of settings unchanged: that header is
built once, not per answer (django-csp builds it afresh each time, a third of a millisecond of
the booking path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.renderers import BrowsableAPIRenderer

# Added to the policy's own sources ('self'), not in place of them.
BROWSABLE_API: dict[str, Any] = {"style-src": [UNSAFE_INLINE]}
SWAGGER_UI: dict[str, Any] = {"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}
# The visit page's room with the twilio provider: Twilio Video's SDK (vendored in web/static)
# signals over WebSockets to Twilio (wss://<region>.vss.twilio.com, wss://sdkgw.<region>.twilio.com).
# The media itself is WebRTC, which the policy does not govern.
TWILIO_VIDEO: dict[str, Any] = {"connect-src": ["'self'", "wss://*.twilio.com", "https://*.twilio.com"]}


# What a view, a template or the renderer may have asked of this answer's policy.
CHANGES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (its documented extension point: `get_policy_parts`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        unchanged = not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        self.plain = build_policy() if unchanged else ""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            not self.plain
            or settings.DEBUG  # django-csp leaves Django's debug pages alone
            or HEADER in response
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in CHANGES)
            or isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer)
        ):
            return super().process_response(request, response)
        response[HEADER] = self.plain
        return response

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
            parts.update = {**BROWSABLE_API, **(parts.update or {})}
        return parts
