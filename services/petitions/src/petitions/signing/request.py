"""What a sign request carries, read without FastAPI's parameter solving.

The sign route takes the ``Request`` itself (see its comment in
:mod:`petitions.signing.endpoints`); this module reads its body with the same
pydantic model and errors FastAPI would use, and describes its path, header, body
and token in the OpenAPI document, so clients see the same contract as for any
other route.
"""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from petitions.idempotency.service import HEADER, HEADER_DESCRIPTION
from petitions.signing.auth import SIGN_SCOPE
from petitions.signing.schemas import SignatureCreate

__all__ = ["SIGN_OPENAPI", "read_sign_body"]

_BODY: TypeAdapter[SignatureCreate | None] = TypeAdapter(SignatureCreate | None)


def read_sign_body(raw: bytes) -> SignatureCreate:
    """The sign request's choices; an empty body or ``null`` takes the defaults.

    :raises RequestValidationError: answered as the shared 422 problem, with each
        error located under ``body`` as FastAPI locates them.
    """
    if not raw.strip():
        return SignatureCreate()
    try:
        data = _BODY.validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    return data or SignatureCreate()


#: The route's parameters, body and token, as FastAPI would have documented them.
SIGN_OPENAPI: dict[str, Any] = {
    "security": [{"AccessToken": [SIGN_SCOPE]}],
    "parameters": [
        {
            "name": "petition_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid", "title": "Petition Id"},
        },
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": HEADER_DESCRIPTION,
            "schema": {"type": "string", "maxLength": 255, "title": HEADER},
        },
    ],
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": SignatureCreate.model_json_schema()}},
    },
}
