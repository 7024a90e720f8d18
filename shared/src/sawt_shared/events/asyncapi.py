"""The AsyncAPI 3.0 document generated from the catalogue.

``python -m sawt_shared.events.asyncapi --write`` refreshes ``docs/asyncapi.json``;
a test fails when the checked-in document is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from sawt_shared.events.catalogue import catalogue
from sawt_shared.kafka import DOMAINS, dlq_topic, domain_topic

__all__ = ["DOCUMENT_PATH", "build_document", "render_document"]

DOCUMENT_PATH = Path("docs/asyncapi.json")

_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes, Kafka protocol binding, binary content mode.",
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {
            "type": "string",
            "format": "uuid",
            "description": "Unique per event; consumers deduplicate on it.",
        },
        "ce_source": {"type": "string", "description": "The producing service."},
        "ce_type": {"type": "string", "description": "The versioned event type."},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The aggregate id (also the Kafka key)."},
        "ce_requestid": {
            "type": "string",
            "description": "The request that caused the event, for tracing.",
        },
        "content-type": {"type": "string", "const": "application/json"},
    },
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
}


def _message_name(event_type: str) -> str:
    return event_type.removeprefix("ma.sawt.").replace(".", "_")


def build_document() -> dict[str, Any]:
    events = catalogue()
    _, schemas = models_json_schema(
        [(e, "serialization") for e in events], ref_template="#/components/schemas/{model}"
    )
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for domain in DOMAINS:
        topic = domain_topic(domain)
        mine = [e for e in events if e.domain == domain]
        refs = {
            _message_name(e.event_type): {
                "$ref": f"#/components/messages/{_message_name(e.event_type)}"
            }
            for e in mine
        }
        channels[domain] = {
            "address": topic,
            "description": f"Events of the {domain} service, keyed by aggregate id. 12 partitions.",
            "messages": refs,
        }
        channels[f"{domain}_dlq"] = {
            "address": dlq_topic(topic),
            "description": (
                f"Dead letters of `{topic}`: events a consumer failed to handle after its "
                "retries, with `dlq_*` headers naming the error and original coordinates."
            ),
        }
        if mine:
            operations[f"publish_{domain}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{domain}"},
                "summary": f"The {domain} service publishes through its transactional outbox.",
                "messages": [{"$ref": f"#/channels/{domain}/messages/{n}"} for n in refs],
            }
        for e in mine:
            name = _message_name(e.event_type)
            messages[name] = {
                "name": e.event_type,
                "title": e.__name__,
                "summary": (e.__doc__ or "").strip().splitlines()[0] if e.__doc__ else "",
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
                "payload": {"$ref": f"#/components/schemas/{e.__name__}"},
                "bindings": {
                    "kafka": {"key": {"type": "string", "description": f"`{e.key_field}`"}}
                },
            }
    all_schemas: dict[str, Any] = {"CloudEventHeaders": _CE_HEADERS}
    all_schemas.update(schemas.get("$defs", {}))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sawt events",
            "version": "1.0.0",
            "description": (
                "Every event Sawt's services publish on Kafka. Generated from the catalogue in "
                "`sawt_shared.events`; do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:59092",
                "protocol": "kafka",
                "description": "The local stack.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": all_schemas},
    }


def render_document() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print or write Sawt's AsyncAPI document.")
    parser.add_argument("--write", action="store_true", help=f"write {DOCUMENT_PATH}")
    args = parser.parse_args(argv)
    text = render_document()
    if args.write:
        DOCUMENT_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT_PATH.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
