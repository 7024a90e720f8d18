"""OpenAPI documents every error of the API as a problem document."""

from __future__ import annotations

from typing import Any

import pytest

from petitions.app import create_app


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def test_every_error_of_the_api_is_a_documented_problem(spec: dict[str, Any]) -> None:
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            responses = op["responses"]
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "application/problem+json" not in response.get(
                    "content", {}
                ):
                    missing.append(f"{method} {path} {status}")
            if "security" in op and "401" not in responses:
                missing.append(f"{method} {path} 401 (takes a token)")
            if "{petition_id}" in path and "404" not in responses:
                missing.append(f"{method} {path} 404")
    assert missing == []


def test_the_sign_route_names_its_scope(spec: dict[str, Any]) -> None:
    sign = spec["paths"]["/api/v1/petitions/{petition_id}/signatures"]["post"]
    assert sign["security"] == [{"AccessToken": ["petitions:sign"]}]
    assert "AccessToken" in spec["components"]["securitySchemes"]


def test_the_sign_route_documents_what_it_reads(spec: dict[str, Any]) -> None:
    # The route reads its request itself (for speed); its contract is still documented.
    sign = spec["paths"]["/api/v1/petitions/{petition_id}/signatures"]["post"]
    assert {(p["in"], p["name"]) for p in sign["parameters"]} == {
        ("path", "petition_id"),
        ("header", "Idempotency-Key"),
    }
    body = sign["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"public", "wants_updates"}
    assert body["additionalProperties"] is False
    created = sign["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/SignatureRead"}
