"""The live preview for editors (`portal serve --dev`): pages reload in the browser when a content file
is saved, and `portal check`'s problems are shown on every page instead of failing silently.

Only active in dev mode; never part of a frozen site.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify

from portal.web.state import get_state

bp = Blueprint("preview", __name__, url_prefix="/_preview")
SHOWN_PROBLEMS = 50


def active() -> bool:
    """True in the dev preview (and never while freezing)."""
    return bool(current_app.config.get("DEV")) and not current_app.config.get("FREEZING")


@bp.route("/generation")
def generation() -> Any:
    """The content generation: it changes whenever a file is saved (the page's script polls this)."""
    state = get_state()
    state.corpus()  # notices changed files and reloads them
    errors = sum(p.is_error for p in state.problems())
    return jsonify({"generation": state.generation, "errors": errors})


def _context() -> dict[str, Any]:
    if not active():
        return {}
    state = get_state()
    problems = state.problems()
    return {"preview_generation": state.generation, "preview_problems": problems[:SHOWN_PROBLEMS],
            "preview_problem_count": len(problems)}


def init_app(app: Flask) -> None:
    """Register the preview's endpoint and template context when the app runs in dev mode."""
    if not app.config.get("DEV"):
        return
    app.register_blueprint(bp)
    app.context_processor(_context)
