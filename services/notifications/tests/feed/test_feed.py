"""The in-app feed through the API and its Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sawt_shared.events.petitions import PetitionCreated, PetitionSigned
from sawt_shared.testing import wait_until
from sawt_shared.testing.tokens import TokenFactory

pytestmark = pytest.mark.asyncio

TITLE: Any = {
    "ar": "مكتبة في الحي",
    "fr": "Une bibliothèque de quartier",
    "en": "A neighbourhood library",
}


def as_user(tokens: TokenFactory, user_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.mint(subject=str(user_id))}"}


async def sign(publisher: Any, petition_id: uuid.UUID, signer_id: uuid.UUID) -> None:
    await publisher.publish(
        PetitionSigned(
            petition_id=petition_id,
            signature_id=uuid.uuid4(),
            signer_id=signer_id,
            region=None,
            signed_at=datetime.now(UTC),
        )
    )


async def new_petition(publisher: Any, creator_id: uuid.UUID) -> uuid.UUID:
    petition_id = uuid.uuid4()
    await publisher.publish(
        PetitionCreated(
            petition_id=petition_id,
            channel="local",
            creator_id=creator_id,
            title=TITLE,
            language="fr",
        )
    )
    return petition_id


async def test_feed_lists_marks_read_and_keeps_to_its_owner(
    api: httpx.AsyncClient, tokens: TokenFactory, publisher: Any, people: Any
) -> None:
    signer = await people.user("ar")
    other = await people.user("fr")
    petition_id = await new_petition(publisher, other.id)
    await sign(publisher, petition_id, signer.id)

    async def listed() -> dict[str, Any] | None:
        page = (
            await api.get("/api/v1/me/notifications", headers=as_user(tokens, signer.id))
        ).json()
        return page if page["items"] else None

    page = await wait_until(listed)
    assert page is not None
    (item,) = page["items"]
    assert item["title"] == "توقيعك على «مكتبة في الحي»"
    assert item["read"] is False
    assert item["url"] == f"https://sawt.test/ar/petitions/{petition_id}"
    assert page["unread_count"] == 1
    english = (
        await api.get("/api/v1/me/notifications?lang=en", headers=as_user(tokens, signer.id))
    ).json()
    assert english["items"][0]["title"] == "Your signature on “A neighbourhood library”"

    # someone else cannot mark it, nor see it
    theirs = await api.post(
        f"/api/v1/me/notifications/{item['id']}/read", headers=as_user(tokens, other.id)
    )
    assert theirs.status_code == 404
    assert (await api.get("/api/v1/me/notifications", headers=as_user(tokens, other.id))).json()[
        "items"
    ] == []

    mine = await api.post(
        f"/api/v1/me/notifications/{item['id']}/read", headers=as_user(tokens, signer.id)
    )
    assert mine.status_code == 204
    after = (await api.get("/api/v1/me/notifications", headers=as_user(tokens, signer.id))).json()
    assert after["items"][0]["read"] is True
    assert after["unread_count"] == 0
    assert (await api.get("/api/v1/me/notifications")).status_code == 401


async def test_the_stream_sends_new_notifications(
    app_url: str, tokens: TokenFactory, publisher: Any, people: Any
) -> None:
    signer = await people.user("fr")
    petition_id = await new_petition(publisher, uuid.uuid4())
    received: list[dict[str, Any]] = []
    opened = asyncio.Event()

    async def listen() -> None:
        async with (
            httpx.AsyncClient(base_url=app_url, timeout=30) as client,
            client.stream(
                "GET", "/api/v1/me/notifications/stream", headers=as_user(tokens, signer.id)
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            opened.set()
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "notification":
                    received.append(json.loads(line.partition(":")[2]))
                    return

    task = asyncio.create_task(listen())
    try:
        await asyncio.wait_for(opened.wait(), timeout=10)
        await sign(publisher, petition_id, signer.id)
        await asyncio.wait_for(task, timeout=20)
    finally:
        task.cancel()
    (item,) = received
    assert item["title"] == "Votre signature de « Une bibliothèque de quartier »"
    assert item["kind"] == "signature_receipt"


async def test_the_stream_is_for_signed_in_people_only(app_url: str) -> None:
    async with httpx.AsyncClient(base_url=app_url) as client:
        response = await client.get("/api/v1/me/notifications/stream")
    assert response.status_code == 401
