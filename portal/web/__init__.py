"""Stage 5, web: the Flask app (``app.create_app``) and its parts: settings, the shared state, security headers,
errors, UI translations, logins, the public site (the pages the static build freezes), the agent app, the JSON API
with its OpenAPI document, feedback, the search log and the live preview (docs/architecture.md).
"""
