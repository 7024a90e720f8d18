"""Signing through the API: once per citizen, refusals that write nothing, idempotency,
rate limits, the trusted proxy, and a deleted account's signature kept nameless."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from petitions.bootstrap import Petitions, purge_idempotency_keys
from petitions.testing import OTHER_REGION, REGION, World, assert_problem, petition_events
from sawt_shared.events.identity import UserDeleted
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionSignatureWithdrawn,
    PetitionSigned,
)
from sawt_shared.testing import StackEnv, wait_until

pytestmark = pytest.mark.asyncio


async def writes(world: World) -> tuple[int, int, int]:
    """Rows a refusal must not add to: signatures, outbox, idempotency keys.

    Not counted: the scheduler's ``petition.closed`` events, which it writes on its
    own clock for any petition whose time is up (one test makes its petition so).
    """
    async with world.db.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM signatures) AS s,"
            " (SELECT count(*) FROM outbox WHERE event_type <> $1) AS o,"
            " (SELECT count(*) FROM idempotency_keys) AS k",
            PetitionClosed.event_type,
        )
    assert row is not None
    return row["s"], row["o"], row["k"]


@pytest_asyncio.fixture
async def open_petition(world: World) -> AsyncIterator[str]:
    pid, _, _ = await world.open_petition()
    yield pid


async def test_sign_once_then_409_and_the_event_goes_out(
    world: World, open_petition: str, stack: StackEnv
) -> None:
    signer = await world.identity.citizen()
    r = await world.sign(open_petition, signer, public=True, wants_updates=True)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["petition_id"] == open_petition
    assert body["region"] == REGION
    assert body["public"] is True
    before = await writes(world)
    again = await world.sign(open_petition, signer)
    problem = assert_problem(again, 409, "already-signed")
    assert set(problem["title_i18n"]) == {"ar", "fr", "en"}
    assert await writes(world) == before
    mine = await world.client.get(
        f"/api/v1/petitions/{open_petition}/signatures/mine", headers=signer.headers
    )
    assert mine.json()["signature_id"] == body["signature_id"]

    events = await petition_events(
        stack, open_petition, lambda es: any(e.type == PetitionSigned.event_type for e in es)
    )
    signed = next(e.parse() for e in events if e.type == PetitionSigned.event_type)
    assert isinstance(signed, PetitionSigned)
    assert signed.signer_id == signer.id
    assert signed.wants_updates
    # the public chose to show their name
    signers = await world.client.get(f"/api/v1/petitions/{open_petition}/signers")
    assert [s["name"] for s in signers.json()["items"]] == [f"Citizen {signer.id.hex[:6]}"]


async def test_names_are_hidden_unless_the_signer_chooses(world: World, open_petition: str) -> None:
    signer, silent = await world.identity.citizens(2)
    assert (await world.sign(open_petition, signer)).status_code == 201
    # no body, or a JSON null, takes the defaults too
    r = await world.client.post(
        f"/api/v1/petitions/{open_petition}/signatures",
        content=b"null",
        headers={**silent.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["public"] is False
    assert r.headers["Location"] == f"/api/v1/petitions/{open_petition}/signatures/mine"
    signers = await world.client.get(f"/api/v1/petitions/{open_petition}/signers")
    assert signers.status_code == 200
    assert signers.json()["items"] == []


async def test_idempotency_key_answers_what_the_first_request_did(
    world: World, open_petition: str
) -> None:
    signer = await world.identity.citizen()
    key = {"Idempotency-Key": uuid.uuid4().hex, **signer.headers}
    first = await world.client.post(
        f"/api/v1/petitions/{open_petition}/signatures", json={}, headers=key
    )
    assert first.status_code == 201, first.text
    before = await writes(world)
    retry = await world.client.post(
        f"/api/v1/petitions/{open_petition}/signatures", json={}, headers=key
    )
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert await writes(world) == before
    # the same key for another request is refused
    other, _, _ = await world.open_petition()
    before = await writes(world)
    reused = await world.client.post(f"/api/v1/petitions/{other}/signatures", json={}, headers=key)
    assert_problem(reused, 422, "idempotency-key-reused")
    assert await writes(world) == before
    bad = await world.client.post(
        f"/api/v1/petitions/{other}/signatures",
        json={},
        headers={**signer.headers, "Idempotency-Key": "x" * 300},
    )
    assert_problem(bad, 422, "invalid-idempotency-key")


async def test_refusals_answer_a_problem_and_write_nothing(
    world: World, service: Petitions
) -> None:
    local = await world.channel(region_restricted=True)
    pid, _, _ = await world.open_petition(channel=local, region=REGION)
    eid_channel = await world.channel(signer_assurance="eid")
    eid_pid, _, _ = await world.open_petition(channel=eid_channel, assurance="eid")
    neighbour = await world.identity.citizen(region=OTHER_REGION)
    unverified = await world.identity.citizen(assurance="none")
    emailed = await world.identity.citizen()
    stranger = world.identity.headers(uuid.uuid4())  # a token, but identity never told us
    creator = await world.identity.citizen()
    target = await world.identity.public_body()
    draft = await world.draft(creator, channel=await world.channel(), target=target)

    before = await writes(world)
    assert_problem(await world.sign(pid, neighbour), 403, "outside-region")
    assert_problem(await world.sign(pid, unverified), 403, "assurance-too-low")
    assert_problem(await world.sign(eid_pid, emailed), 403, "assurance-too-low")
    r = await world.client.post(f"/api/v1/petitions/{pid}/signatures", headers=stranger)
    assert_problem(r, 403, "signer-unknown")
    assert_problem(await world.sign(draft["id"], emailed), 409, "petition-not-open")
    assert_problem(await world.sign(str(uuid.uuid4()), emailed), 404, "petition-not-found")
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/signatures", json={"public": "maybe"}, headers=emailed.headers
    )
    problem = assert_problem(r, 422, "invalid-input")
    assert [(e["location"], e["pointer"]) for e in problem["errors"]] == [("body", "/public")]
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/signatures",
        content=b'{"public": tru',
        headers={**emailed.headers, "Content-Type": "application/json"},
    )
    assert_problem(r, 422, "invalid-input")
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/signatures", json={"extra": 1}, headers=emailed.headers
    )
    assert_problem(r, 422, "invalid-input")
    # who may sign at all
    r = await world.client.post(f"/api/v1/petitions/{pid}/signatures")
    assert_problem(r, 401, "missing-token")
    writer_only = world.identity.headers(emailed.id, "petitions:write")
    r = await world.client.post(f"/api/v1/petitions/{pid}/signatures", headers=writer_only)
    assert_problem(r, 403, "insufficient-scope")
    client_token = world.identity.headers("government-client", "petitions:sign")
    r = await world.client.post(f"/api/v1/petitions/{pid}/signatures", headers=client_token)
    assert_problem(r, 403, "subject-not-uuid")
    assert await writes(world) == before


async def test_a_closed_petition_refuses_signatures_and_withdrawals(
    world: World, service: Petitions
) -> None:
    pid, _, _ = await world.open_petition()
    signer, late = await world.identity.citizens(2)
    assert (await world.sign(pid, signer)).status_code == 201
    async with world.db.acquire() as conn:
        await conn.execute(
            "UPDATE petitions SET closes_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(pid),
        )
    before = await writes(world)
    # the clock closes it before the closing task does
    assert_problem(await world.sign(pid, late), 409, "petition-not-open")
    r = await world.client.delete(
        f"/api/v1/petitions/{pid}/signatures/mine", headers=signer.headers
    )
    assert_problem(r, 409, "petition-not-open")
    assert await writes(world) == before


async def test_withdrawal_goes_out_as_an_event(
    world: World, open_petition: str, stack: StackEnv
) -> None:
    signer = await world.identity.citizen()
    assert (await world.sign(open_petition, signer)).status_code == 201
    r = await world.client.delete(
        f"/api/v1/petitions/{open_petition}/signatures/mine", headers=signer.headers
    )
    assert r.status_code == 204
    events = await petition_events(
        stack,
        open_petition,
        lambda es: any(e.type == PetitionSignatureWithdrawn.event_type for e in es),
    )
    withdrawn = next(e.parse() for e in events if e.type == PetitionSignatureWithdrawn.event_type)
    assert isinstance(withdrawn, PetitionSignatureWithdrawn)
    assert withdrawn.signer_id == signer.id


async def test_rate_limits_per_account_and_per_address(
    world: World, service: Petitions, open_petition: str
) -> None:
    settings = service.settings
    saved = (settings.sign_limit_per_account, settings.sign_limit_per_ip, settings.trusted_proxies)
    try:
        settings.sign_limit_per_account = "2/minute"
        settings.sign_limit_per_ip = "1000/minute"
        signer = await world.identity.citizen()
        # bad input is refused before it is counted: it changes nothing, limits included
        for _ in range(3):
            bad = await world.client.post(
                f"/api/v1/petitions/{open_petition}/signatures",
                json={"public": "maybe"},
                headers=signer.headers,
            )
            assert_problem(bad, 422, "invalid-input")
        others = [await world.sign((await world.open_petition())[0], signer) for _ in range(2)]
        assert [r.status_code for r in others] == [201, 201]
        before = await writes(world)
        limited = await world.sign(open_petition, signer)
        problem = assert_problem(limited, 429, "too-many-requests")
        assert int(limited.headers["Retry-After"]) >= 1
        assert problem["retry_after"] >= 1
        assert await writes(world) == before

        # per address: behind the configured proxy, X-Forwarded-For names the client
        settings.sign_limit_per_account = "1000/minute"
        settings.sign_limit_per_ip = "1/minute"
        settings.trusted_proxies = ["127.0.0.0/8"]
        a, b, c = await world.identity.citizens(3)
        ip = f"203.0.113.{uuid.uuid4().int % 250}"

        def via(person_headers: dict[str, str], addr: str) -> dict[str, str]:
            return {**person_headers, "X-Forwarded-For": addr}

        url = f"/api/v1/petitions/{open_petition}/signatures"
        assert (await world.client.post(url, headers=via(a.headers, ip))).status_code == 201
        r = await world.client.post(url, headers=via(b.headers, ip))
        assert_problem(r, 429, "too-many-requests")
        other_ip = f"198.51.100.{uuid.uuid4().int % 250}"
        assert (await world.client.post(url, headers=via(b.headers, other_ip))).status_code == 201
        # a forwarded header from a peer that is not the proxy is not believed: two
        # different forwarded addresses share the peer's bucket
        settings.trusted_proxies = ["10.9.9.9/32"]
        d = await world.identity.citizen()
        first = await world.client.post(url, headers=via(c.headers, "192.0.2.10"))
        assert first.status_code in (201, 429)  # the peer may have used its one already
        second = await world.client.post(url, headers=via(d.headers, "192.0.2.11"))
        assert_problem(second, 429, "too-many-requests")
    finally:
        settings.sign_limit_per_account, settings.sign_limit_per_ip, settings.trusted_proxies = (
            saved
        )


async def test_a_deleted_account_is_anonymised_and_its_signature_still_counts(
    world: World, open_petition: str
) -> None:
    signer = await world.identity.citizen()
    assert (await world.sign(open_petition, signer, public=True)).status_code == 201
    await world.identity.publish(UserDeleted(user_id=signer.id))

    async def anonymised() -> bool:
        return bool(
            await world.scalar(
                "SELECT deleted_at IS NOT NULL FROM citizens WHERE user_id = $1", signer.id
            )
        )

    await wait_until(anonymised, timeout=30)
    assert (
        await world.scalar("SELECT count(*) FROM signatures WHERE signer_id = $1", signer.id) == 0
    )
    assert (
        await world.scalar(
            "SELECT count(*) FROM signatures WHERE petition_id = $1 AND signer_id IS NULL",
            uuid.UUID(open_petition),
        )
        == 1
    )
    signers = await world.client.get(f"/api/v1/petitions/{open_petition}/signers")
    assert signers.json()["items"] == []
    assert_problem(await world.sign(open_petition, signer), 403, "signer-deleted")

    async def counted() -> bool:
        return bool(
            await world.scalar(
                "SELECT total FROM petition_counts WHERE petition_id = $1",
                uuid.UUID(open_petition),
            )
            == 1
        )

    await wait_until(counted, timeout=30)


async def test_the_sign_endpoint_is_documented_with_its_problems(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    sign = spec["paths"]["/api/v1/petitions/{petition_id}/signatures"]["post"]
    assert {"401", "403", "404", "409", "422", "429", "503"} <= set(sign["responses"])
    assert "application/problem+json" in sign["responses"]["409"]["content"]


async def test_the_sign_route_keeps_its_own_metrics(world: World, open_petition: str) -> None:
    signer = await world.identity.citizen()
    request_id = uuid.uuid4().hex
    r = await world.client.post(
        f"/api/v1/petitions/{open_petition}/signatures",
        json={},
        headers={**signer.headers, "X-Request-ID": request_id},
    )
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-ID"] == request_id  # the shared middleware still runs
    mine = f"/api/v1/petitions/{open_petition}/signatures/mine"
    assert (await world.client.get(mine, headers=signer.headers)).status_code == 200
    metrics = (await world.client.get("/metrics")).text
    assert "petitions_sign_request_seconds_count" in metrics
    assert 'petitions_sign_outcomes_total{outcome="signed"}' in metrics
    handlers = {
        line.split('handler="')[1].split('"')[0]
        for line in metrics.splitlines()
        if line.startswith("http_requests_total{")
    }
    # the route beside it is metered; the sign route is left out of the generic HTTP
    # metrics, which would double its cost
    assert "/api/v1/petitions/{petition_id:uuid}/signatures/mine" in handlers
    assert "/api/v1/petitions/{petition_id:uuid}/signatures" not in handlers


async def test_idempotency_keys_are_forgotten_after_their_retention(
    world: World, open_petition: str, service: Petitions
) -> None:
    old, recent = await world.identity.citizens(2)
    for signer in (old, recent):
        r = await world.client.post(
            f"/api/v1/petitions/{open_petition}/signatures",
            json={},
            headers={**signer.headers, "Idempotency-Key": f"key-{signer.id}"},
        )
        assert r.status_code == 201, r.text
    retention = service.settings.idempotency_retention_hours
    async with world.db.acquire() as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - make_interval(secs => $2)"
            " WHERE user_id = $1",
            old.id,
            retention * 3600 + 60,
        )
    assert await purge_idempotency_keys(service.runtime, retention) >= 1
    async with world.db.acquire() as conn:
        kept = await conn.fetch(
            "SELECT user_id FROM idempotency_keys WHERE user_id = ANY($1::uuid[])",
            [old.id, recent.id],
        )
    assert [r["user_id"] for r in kept] == [recent.id]
    # the old key's retry is now a new request: the signature exists, so 409
    retry = await world.client.post(
        f"/api/v1/petitions/{open_petition}/signatures",
        json={},
        headers={**old.headers, "Idempotency-Key": f"key-{old.id}"},
    )
    assert_problem(retry, 409, "already-signed")
