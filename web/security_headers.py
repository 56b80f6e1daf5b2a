"""Secure headers on every response, whatever produced it."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# No inline script and no eval anywhere: htmx is configured (see base.html) not to need them.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

STATIC_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
HSTS = "max-age=63072000; includeSubDomains"
# A page in a window opened by another site is cut off from its opener for good, even after
# it goes back to that site. A web client's log-in popup needs that link: its callback page
# hands the code to `window.opener`. So the pages the popup passes through keep it, and no
# other page does. (`same-origin-allow-popups` would not do: it is about the windows a page
# opens, and a popup whose page says it is cut off from a cross-origin opener just the same.)
KEEP_OPENER = "unsafe-none"
CUT_OFF_OPENER = "same-origin"
CONSENT_PAGE = "/oauth/authorize"
ACCOUNT_FORMS = ("/login", "/signup")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: it sees every response, including router 404s and error pages."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in STATIC_HEADERS.items():
        headers[name] = value
    headers["cross-origin-opener-policy"] = opener_policy(scope)
    if scope.get("scheme") == "https":
        headers["strict-transport-security"] = HSTS


def opener_policy(scope: Scope) -> str:
    """`Cross-Origin-Opener-Policy` for this request: `unsafe-none` on the consent page and
    on the log-in and sign-up forms on the way to it (their GET names it as `next`; their
    POST, refused without this site's CSRF token, answers only with a redirect onwards or the
    form again), `same-origin` everywhere else."""
    path: str = scope["path"]
    if path == CONSENT_PAGE:
        return KEEP_OPENER
    if path in ACCOUNT_FORMS:
        if scope.get("method") == "POST":
            return KEEP_OPENER
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if any(next_url.startswith(CONSENT_PAGE) for next_url in query.get("next", [])):
            return KEEP_OPENER
    return CUT_OFF_OPENER
