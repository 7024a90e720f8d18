"""Webhooks against a real HTTP receiver that verifies with the standardwebhooks library."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from notifications.messages.keys import delivery_key
from notifications.settings import NotificationsSettings
from notifications.webhooks.sender import WebhookSender
from sawt_shared.events.petitions import PetitionPublished, PetitionSigned, PetitionThresholdReached
from sawt_shared.outbox import Outbox
from sawt_shared.testing import wait_until
from sawt_shared.testing.tokens import TokenFactory

pytestmark = pytest.mark.asyncio

TITLE: Any = {"ar": "حديقة عمومية", "fr": "Un jardin public", "en": "A public garden"}


def org_token(
    tokens: TokenFactory,
    org: str | None = None,
    scopes: tuple[str, ...] = ("notifications:manage",),
) -> dict[str, str]:
    token = tokens.mint(
        subject=str(uuid.uuid4()), scopes=scopes, organization_id=org or str(uuid.uuid4())
    )
    return {"Authorization": f"Bearer {token}"}


def published(petition_id: uuid.UUID | None = None) -> PetitionPublished:
    return PetitionPublished(
        petition_id=petition_id or uuid.uuid4(),
        channel="national",
        creator_id=uuid.uuid4(),
        title=TITLE,
        opened_at=datetime.now(UTC),
        closes_at=datetime.now(UTC) + timedelta(days=30),
    )


async def register(
    api: httpx.AsyncClient, headers: dict[str, str], url: str, types: list[str]
) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/webhooks/endpoints", json={"url": url, "event_types": types}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["secret"].startswith("whsec_")
    return body


async def test_a_signed_delivery_reaches_the_receiver_once_even_when_it_fails_twice(
    api: httpx.AsyncClient, tokens: TokenFactory, receiver: Any, publisher: Any, app: Any
) -> None:
    url, hook = receiver.hook(fail_first=2)
    headers = org_token(tokens)
    endpoint = await register(api, headers, url, ["petition.published"])
    hook.secret = endpoint["secret"]

    event = published()
    env = await publisher.publish(event)
    await wait_until(lambda: _async(len(hook.accepted) == 1), message="delivery accepted")
    (payload,) = hook.accepted
    assert payload["type"] == "petition.published"
    assert payload["data"]["petition_id"] == str(event.petition_id)
    assert payload["data"]["title"]["ar"] == "حديقة عمومية"
    assert "creator_id" not in payload["data"]  # who created it is not the receiver's business
    assert hook.calls == 3
    assert hook.rejected == []
    # the same webhook-id on every try
    ids = {h["webhook-id"] for h in hook.headers}
    assert ids == {"msg_" + delivery_key(env.id, endpoint["id"], "webhook")}

    # the delivery log shows the three tries (once the sender has recorded the last)
    async def logged() -> dict[str, Any] | None:
        log = await api.get(
            f"/api/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=headers
        )
        assert log.status_code == 200
        (found,) = [d for d in log.json()["items"] if d["event_id"] == str(env.id)]
        return found if found["status"] != "sending" else None

    delivery = await wait_until(logged)
    assert delivery is not None
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3
    attempts = await api.get(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}/attempts",
        headers=headers,
    )
    assert [a["status_code"] for a in attempts.json()] == [500, 500, 204]


async def _async(value: Any) -> Any:
    return value


async def test_the_receiver_rejects_a_tampered_signature(
    api: httpx.AsyncClient, tokens: TokenFactory, receiver: Any, publisher: Any, app: Any
) -> None:
    url, hook = receiver.hook()
    endpoint = await register(api, org_token(tokens), url, ["petition.threshold_reached"])
    hook.secret = endpoint["secret"]
    petition_id = uuid.uuid4()
    await publisher.publish(
        PetitionThresholdReached(
            petition_id=petition_id,
            threshold="debate",
            signatures=100_000,
            required=100_000,
            triggers="parliamentary_debate",
            reached_at=datetime.now(UTC),
            creator_id=uuid.uuid4(),
            title=TITLE,
        )
    )
    await wait_until(lambda: _async(len(hook.accepted) == 1), message="delivery accepted")
    sent = hook.headers[-1]
    body = hook.accepted[-1]

    # replay the genuine delivery with one byte of the body changed: the library refuses it
    import json

    tampered = json.dumps({**body, "data": {**body["data"], "signatures": 999_999}})
    async with httpx.AsyncClient() as client:
        response = await client.post(
            url,
            content=tampered,
            headers={k: sent[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")},
        )
    assert response.status_code == 400
    assert hook.rejected == ["No matching signature found"]
    assert len(hook.accepted) == 1


async def test_rotation_signs_with_both_secrets_for_a_while(
    api: httpx.AsyncClient, tokens: TokenFactory, receiver: Any, publisher: Any, app: Any
) -> None:
    url, hook = receiver.hook()
    headers = org_token(tokens)
    endpoint = await register(api, headers, url, ["petition.published"])
    rotated = await api.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/secret/rotate", headers=headers
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    hook.secret = endpoint["secret"]  # a receiver not yet updated still verifies
    await publisher.publish(published())
    await wait_until(lambda: _async(len(hook.accepted) == 1))
    assert len(hook.headers[-1]["webhook-signature"].split(" ")) == 2
    hook.secret = new_secret  # and one that is updated, too
    await publisher.publish(published())
    await wait_until(lambda: _async(len(hook.accepted) == 2))


async def test_410_disables_the_endpoint_with_a_notice(
    api: httpx.AsyncClient,
    tokens: TokenFactory,
    receiver: Any,
    publisher: Any,
    db: asyncpg.Pool,
    app: Any,
) -> None:
    url, hook = receiver.hook(fail_first=1, status_on_fail=410)
    headers = org_token(tokens)
    endpoint = await register(api, headers, url, ["petition.published"])
    hook.secret = endpoint["secret"]
    await publisher.publish(published())

    async def disabled() -> dict[str, Any] | None:
        got = (
            await api.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=headers)
        ).json()
        return got if not got["enabled"] else None

    state = await wait_until(disabled)
    assert state is not None
    assert state["disabled_reason"] == "gone"
    notice = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = 'ma.sawt.webhook_endpoint.disabled.v1' AND key = $1",
        endpoint["id"],
    )
    assert notice == 1
    # enabling it again through the API clears the state
    again = await api.patch(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": True}, headers=headers
    )
    assert again.json()["enabled"] is True
    assert again.json()["disabled_reason"] is None


async def test_an_endpoint_failing_for_days_is_disabled(
    settings: NotificationsSettings,
    db: asyncpg.Pool,
    api: httpx.AsyncClient,
    tokens: TokenFactory,
    receiver: Any,
    app: FastAPI,
) -> None:
    url, hook = receiver.hook(fail_first=10)
    headers = org_token(tokens)
    endpoint = await register(api, headers, url, ["petition.closed"])
    hook.secret = endpoint["secret"]
    endpoint_id = uuid.UUID(endpoint["id"])
    # it has been failing for six days, and one more delivery fails now
    await db.execute(
        "UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1",
        endpoint_id,
    )
    await db.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload) VALUES ($1, $2, 'petition.closed', '{}')",
        endpoint_id,
        uuid.uuid4(),
    )
    async with httpx.AsyncClient() as http:
        sender = WebhookSender(
            pool=db,
            settings=settings,
            http=http,
            outbox=Outbox(source="notifications", topic_prefix=settings.topic_prefix),
        )

        async def disabled() -> bool:
            await sender.send_due()
            row = await db.fetchrow(
                "SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = $1", endpoint_id
            )
            return row is not None and not row["enabled"] and row["disabled_reason"] == "failing"

        await wait_until(disabled)


async def test_signatures_are_never_offered_to_webhooks(
    api: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    types = (await api.get("/api/v1/webhooks/event-types")).json()
    assert "petition.signed" not in types
    response = await api.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "https://example.org/hook", "event_types": ["petition.signed"]},
        headers=org_token(tokens),
    )
    assert response.status_code == 422
    assert PetitionSigned.event_type  # the type exists; it is simply not offered


async def test_someone_elses_endpoint_is_not_found(
    api: httpx.AsyncClient, tokens: TokenFactory, receiver: Any
) -> None:
    url, _ = receiver.hook()
    mine = await register(api, org_token(tokens, "org-a"), url, ["petition.closed"])
    theirs = org_token(tokens, "org-b")
    for method, path in [
        ("GET", f"/api/v1/webhooks/endpoints/{mine['id']}"),
        ("PATCH", f"/api/v1/webhooks/endpoints/{mine['id']}"),
        ("DELETE", f"/api/v1/webhooks/endpoints/{mine['id']}"),
        ("POST", f"/api/v1/webhooks/endpoints/{mine['id']}/secret/rotate"),
        ("GET", f"/api/v1/webhooks/endpoints/{mine['id']}/deliveries"),
    ]:
        response = await api.request(
            method, path, headers=theirs, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["type"].endswith("/webhook-endpoint-not-found")
    listed = (await api.get("/api/v1/webhooks/endpoints", headers=theirs)).json()
    assert listed["items"] == []
    # without the scope: 403; a person's token without an organisation: 403
    no_scope = await api.get(
        "/api/v1/webhooks/endpoints", headers=org_token(tokens, "org-a", scopes=())
    )
    assert no_scope.status_code == 403
    person = tokens.mint(subject=str(uuid.uuid4()), scopes=["notifications:manage"])
    assert (
        await api.get("/api/v1/webhooks/endpoints", headers={"Authorization": f"Bearer {person}"})
    ).status_code == 403
    # an API client (client credentials) owns its own endpoints
    client = tokens.mint(
        subject="gov-portal", client_id="gov-portal", scopes=["notifications:manage"]
    )
    response = await api.get(
        "/api/v1/webhooks/endpoints", headers={"Authorization": f"Bearer {client}"}
    )
    assert response.status_code == 200


async def test_private_addresses_are_refused_unless_allowed(
    settings: NotificationsSettings, tokens: TokenFactory, app: FastAPI, api: httpx.AsyncClient
) -> None:
    strict = settings.model_copy(
        update={"webhook_allow_private_addresses": False, "webhook_allow_http": False}
    )
    app.state.services.settings = strict
    runtime_settings = app.state.runtime.settings
    app.state.runtime.settings = strict
    try:
        for url in (
            "http://127.0.0.1:9/hook",
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest",
            "https://localhost/hook",
        ):
            response = await api.post(
                "/api/v1/webhooks/endpoints",
                json={"url": url, "event_types": ["petition.closed"]},
                headers=org_token(tokens),
            )
            assert response.status_code == 422, url
            assert response.json()["type"].endswith("/webhook-url-refused")
    finally:
        app.state.runtime.settings = runtime_settings
        app.state.services.settings = settings


async def test_idempotency_key_gives_back_the_first_endpoint(
    api: httpx.AsyncClient, tokens: TokenFactory, receiver: Any
) -> None:
    url, _ = receiver.hook()
    headers = {**org_token(tokens, "org-idem"), "Idempotency-Key": uuid.uuid4().hex}
    first = await api.post(
        "/api/v1/webhooks/endpoints",
        json={"url": url, "event_types": ["petition.closed"]},
        headers=headers,
    )
    second = await api.post(
        "/api/v1/webhooks/endpoints",
        json={"url": url, "event_types": ["petition.closed"]},
        headers=headers,
    )
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["secret"] == second.json()["secret"]
