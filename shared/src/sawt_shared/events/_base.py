"""The event base class and its CloudEvents envelope (Kafka binary content mode)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from sawt_shared.kafka import domain_topic

__all__ = ["CE_SPECVERSION", "Event", "EventEnvelope", "MalformedEvent", "event_class"]

CE_SPECVERSION = "1.0"
_REGISTRY: dict[str, type[Event]] = {}


class MalformedEvent(ValueError):
    """A Kafka record that is not a Sawt CloudEvent (missing headers, bad JSON)."""


class Event(BaseModel):
    """Base of every event. A concrete event sets three class variables:

    - ``event_type``: the CloudEvents ``type``, versioned (``ma.sawt.petition.signed.v1``);
    - ``domain``: the producing domain, which names the topic (``petitions.events``);
    - ``key_field``: the field holding the aggregate id, used as the Kafka key so one
      aggregate's events stay in order; it is also the CloudEvents ``subject``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    domain: ClassVar[str]
    key_field: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return  # an abstract base, such as a domain's
        known = _REGISTRY.get(cls.event_type)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {cls.event_type} is defined twice")
        if cls.key_field not in cls.model_fields:
            raise TypeError(f"{cls.__name__}.key_field names no field: {cls.key_field}")
        _REGISTRY[cls.event_type] = cls

    def key(self) -> str:
        """The aggregate id: the Kafka key and CloudEvents subject."""
        return str(getattr(self, self.key_field))

    @classmethod
    def topic(cls, prefix: str = "") -> str:
        return domain_topic(cls.domain, prefix)


def event_class(event_type: str) -> type[Event] | None:
    """The model registered for a CloudEvents ``type``, if any."""
    return _REGISTRY.get(event_type)


def _header(headers: dict[str, bytes], name: str, required: bool = True) -> str | None:
    value = headers.get(name)
    if value is None:
        if required:
            raise MalformedEvent(f"missing header {name}")
        return None
    return value.decode()


@dataclass(frozen=True)
class EventEnvelope:
    """One CloudEvent as it travels: attributes in ``ce_*`` headers, data as the value."""

    id: uuid.UUID
    source: str
    type: str
    time: datetime
    key: str
    data: bytes
    subject: str | None = None
    request_id: str | None = None
    extra_headers: tuple[tuple[str, bytes], ...] = field(default=())

    @classmethod
    def wrap(cls, event: Event, *, source: str, request_id: str | None = None) -> EventEnvelope:
        return cls(
            id=uuid.uuid4(),
            source=source,
            type=event.event_type,
            time=datetime.now(UTC),
            key=event.key(),
            subject=event.key(),
            data=event.model_dump_json().encode(),
            request_id=request_id,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        out = [
            ("ce_specversion", CE_SPECVERSION.encode()),
            ("ce_id", str(self.id).encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.isoformat().replace("+00:00", "Z").encode()),
            ("content-type", b"application/json"),
        ]
        if self.subject is not None:
            out.append(("ce_subject", self.subject.encode()))
        if self.request_id:
            out.append(("ce_requestid", self.request_id.encode()))
        return out + list(self.extra_headers)

    @classmethod
    def from_kafka(cls, headers: Any, key: bytes | None, value: bytes | None) -> EventEnvelope:
        hmap = {name: raw for name, raw in (headers or ())}
        try:
            event_id = uuid.UUID(_header(hmap, "ce_id"))
            time = datetime.fromisoformat(str(_header(hmap, "ce_time")).replace("Z", "+00:00"))
        except ValueError as exc:
            raise MalformedEvent(str(exc)) from exc
        if _header(hmap, "ce_specversion") != CE_SPECVERSION:
            raise MalformedEvent("unsupported CloudEvents specversion")
        if value is None:
            raise MalformedEvent("no data")
        return cls(
            id=event_id,
            source=str(_header(hmap, "ce_source")),
            type=str(_header(hmap, "ce_type")),
            time=time,
            key=(key or b"").decode(),
            data=value,
            subject=_header(hmap, "ce_subject", required=False),
            request_id=_header(hmap, "ce_requestid", required=False),
        )

    def parse(self) -> Event:
        """The typed event model; raises MalformedEvent for an unknown type or bad data."""
        model = event_class(self.type)
        if model is None:
            raise MalformedEvent(f"unknown event type {self.type}")
        try:
            return model.model_validate_json(self.data)
        except ValueError as exc:
            raise MalformedEvent(f"{self.type}: {exc}") from exc
