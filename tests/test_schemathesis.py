"""Schemathesis against the app's own OpenAPI document: no 5xx, and every answer (status, headers,
body) matches the document, for public callers and for a machine client with a token.

Schemathesis' pytest plugin does not work with this pytest version, so each operation's hypothesis
strategy is run directly."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from portal.web import auth

TOKEN = "test-token-123"


@pytest.fixture
def api_schema(app):
    app.config["API_TOKENS"] = {"crm": {"role": "agent", "sha256": auth.hash_token(TOKEN)}}
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def token_schema(app):
    """The document as a client with a token reads it (it lists the answer-group keys too)."""
    app.config["API_TOKENS"] = {"crm": {"role": "agent", "sha256": auth.hash_token(TOKEN)}}
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers={"Authorization": f"Bearer {TOKEN}"})


def run_all(schema, headers: dict[str, str] | None, examples: int) -> set[str]:
    operations = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.add(operation.label)

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case) -> None:
            case.call_and_validate(headers=headers)

        check()
    return operations


# Schemathesis leaves out the document's own path; every other operation is exercised.
OPERATIONS = {"GET /search", "GET /articles", "GET /articles/{id}", "GET /categories", "GET /languages",
              "POST /feedback", "POST /starts"}


def test_public_api_conforms(api_schema) -> None:
    assert run_all(api_schema, None, 60) == OPERATIONS


def test_authenticated_api_conforms(token_schema) -> None:
    assert run_all(token_schema, {"Authorization": f"Bearer {TOKEN}"}, 30) == OPERATIONS
