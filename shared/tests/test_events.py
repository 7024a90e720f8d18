"""The CloudEvents envelope and the catalogue, without I/O."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from sawt_shared.events import EventEnvelope, MalformedEvent, catalogue, event_class
from sawt_shared.events.asyncapi import DOCUMENT_PATH, build_document, render_document
from sawt_shared.testing.sample import SampleHappened

REPO = Path(__file__).resolve().parents[2]


def test_envelope_round_trips_through_kafka_headers() -> None:
    event = SampleHappened(aggregate_id=uuid.uuid4(), seq=3, run="r")
    env = EventEnvelope.wrap(event, source="petitions", request_id="req-1")
    headers = dict(env.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"ma.sawt.test.sample.happened.v1"
    assert headers["ce_source"] == b"petitions"
    assert headers["ce_subject"] == str(event.aggregate_id).encode()
    assert headers["content-type"] == b"application/json"
    assert headers["ce_time"].endswith(b"Z")
    back = EventEnvelope.from_kafka(env.headers(), env.key.encode(), env.data)
    assert back.id == env.id
    assert back.request_id == "req-1"
    assert back.parse() == event


def test_the_key_is_the_aggregate_id() -> None:
    event = SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run="r")
    assert EventEnvelope.wrap(event, source="x").key == str(event.aggregate_id)


@pytest.mark.parametrize("drop", ["ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion"])
def test_a_record_without_a_required_attribute_is_malformed(drop: str) -> None:
    env = EventEnvelope.wrap(SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run="r"), source="x")
    headers = [(k, v) for k, v in env.headers() if k != drop]
    with pytest.raises(MalformedEvent):
        EventEnvelope.from_kafka(headers, b"k", env.data).parse()


def test_unknown_type_and_bad_data_are_malformed() -> None:
    env = EventEnvelope.wrap(SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run="r"), source="x")
    headers = [(k, b"ma.sawt.nothing.v1" if k == "ce_type" else v) for k, v in env.headers()]
    with pytest.raises(MalformedEvent):
        EventEnvelope.from_kafka(headers, b"k", env.data).parse()
    with pytest.raises(MalformedEvent):
        EventEnvelope.from_kafka(env.headers(), b"k", b'{"seq": "not a number"}').parse()


def test_event_types_are_registered_once() -> None:
    assert event_class(SampleHappened.event_type) is SampleHappened
    assert SampleHappened not in catalogue()  # the sample domain is for tests only


def test_every_catalogued_event_is_versioned_and_keyed() -> None:
    for event in catalogue():
        assert event.event_type.startswith("ma.sawt.")
        assert event.event_type.rsplit(".", 1)[-1].startswith("v")
        assert event.key_field in event.model_fields


def test_asyncapi_document_is_current() -> None:
    checked_in = (REPO / DOCUMENT_PATH).read_text(encoding="utf-8")
    assert checked_in == render_document(), (
        "docs/asyncapi.json is stale: run `uv run python -m sawt_shared.events.asyncapi --write`"
    )


def test_asyncapi_document_lists_every_event_with_headers() -> None:
    doc = build_document()
    assert doc["asyncapi"] == "3.0.0"
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == {e.event_type for e in catalogue()}
    assert "ce_id" in doc["components"]["schemas"]["CloudEventHeaders"]["properties"]
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {"petitions.events", "petitions.events.dlq", "identity.events"} <= addresses
    json.dumps(doc)
