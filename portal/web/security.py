"""Security headers on every answer: a strict Content-Security-Policy (no inline script or style).

The static site carries the same policy twice: as a `<meta>` tag in every page (which cannot hold
`frame-ancestors`) and as a `_headers` file that static hosts and CDNs apply (Netlify/Cloudflare
format). Its search runs Pagefind's WebAssembly, hence `'wasm-unsafe-eval'` there and only there. When
`site.yml` names the public search API (`site.search_api`), the static site may ask that one origin too:
it is added to `connect-src`, and nothing else is; when it names the public API (`site.api`), where the
feedback form posts and the e-service buttons count their starts, that origin is added to `connect-src` and
`form-action`.

Search pages keep the query in their address (``?q=…``) so that reload and back work, and a query is personal
data. A browser sends the address it leaves as the Referer, which access logs record: so no page ever sends more
than its origin (``strict-origin``), and the agent app, whose queries come from callers, sends nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
STATIC_CSP_META = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
                   "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
                   "base-uri 'self'; form-action 'self'")
STATIC_CSP = STATIC_CSP_META + "; frame-ancestors 'none'"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# A file from an article folder, opened on the site's own origin (which also serves the agent app): a sandbox
# (a unique origin, no script) that loads nothing.
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
AGENT_REFERRER_POLICY = "no-referrer"
AGENT_BLUEPRINTS = frozenset({"agent", "auth"})


def static_csp(api_origin: str | Iterable[str] | None = None, *, meta: bool = True,
               form_origin: str | None = None) -> str:
    """The static site's CSP (*meta*: the `<meta>` tag's, without `frame-ancestors`): `connect-src` widened to
    exactly the API origin(s) the site's scripts ask, `form-action` to the origin its feedback form posts to."""
    csp = STATIC_CSP_META if meta else STATIC_CSP
    origins = [api_origin] if isinstance(api_origin, str) else list(api_origin or ())
    if origins:
        csp = csp.replace("connect-src 'self'", "connect-src 'self' " + " ".join(origins))
    if form_origin:
        csp = csp.replace("form-action 'self'", f"form-action 'self' {form_origin}")
    return csp


def static_headers_file(api_origin: str | Iterable[str] | None = None, form_origin: str | None = None) -> str:
    """The `_headers` file for the static site: the app's headers, with the static site's CSP."""
    headers = {**HEADERS, "Content-Security-Policy": static_csp(api_origin, meta=False, form_origin=form_origin)}
    return "/*\n" + "".join(f"  {name}: {value}\n" for name, value in headers.items())


def protect_attachment(response: Response, sandbox: bool = True) -> Response:
    """*response* (a file from an article folder) with `nosniff` and, with *sandbox*, :data:`ATTACHMENT_CSP`
    instead of the pages' policy: whatever its bytes, it never runs as a page of the site."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if sandbox:
        response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def init_app(app: Flask) -> None:
    """Add the security headers to every response; give templates the static site's CSP."""

    @app.context_processor
    def _csp() -> dict[str, str]:
        return {"static_csp": STATIC_CSP_META}

    if app.config.get("FREEZING"):
        return  # a frozen page's headers are not kept: the static site's come from its `_headers` file

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.blueprint in AGENT_BLUEPRINTS:
            response.headers["Referrer-Policy"] = AGENT_REFERRER_POLICY
        return response
