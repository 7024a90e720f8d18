"""Channel administration: create and replace a channel's rules, audited."""

from __future__ import annotations

from petitions.channels import repository
from petitions.channels.rules import rule_problems
from petitions.channels.schemas import ChannelCreate, ChannelRead, ChannelWrite
from petitions.people import repository as people
from petitions.problems import coded
from sawt_shared.db import Connection
from sawt_shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed

__all__ = ["create_channel", "get_channel", "replace_channel"]


async def _check(conn: Connection, data: ChannelWrite) -> None:
    problems = rule_problems(
        min_sponsors=data.min_sponsors,
        max_sponsors=data.max_sponsors,
        duration_days=data.duration_days,
        thresholds=[t.to_rule() for t in data.thresholds],
    )
    if data.target_organization_id is not None:
        org = await people.get_organization(conn, data.target_organization_id)
        if org is None or not org.is_verified_public_body:
            problems.append("target_organization_id must name a verified public body")
    if problems:
        raise coded(InvalidInput, "invalid-channel-rules", "; ".join(problems))


async def get_channel(conn: Connection, slug: str) -> ChannelRead:
    channel = await repository.get_channel(conn, slug)
    if channel is None:
        raise coded(NotFound, "channel-not-found", f"No channel {slug!r}.")
    return channel


async def create_channel(conn: Connection, actor: str, data: ChannelCreate) -> ChannelRead:
    await _check(conn, data)
    channel = await repository.insert_channel(conn, data)
    if channel is None:
        raise coded(Conflict, "channel-exists", f"Channel {data.slug!r} exists already.")
    await repository.record_audit(
        conn,
        channel=data.slug,
        action="created",
        actor_id=actor,
        before=None,
        after=channel.model_dump(mode="json"),
    )
    return channel


async def replace_channel(
    conn: Connection, actor: str, slug: str, data: ChannelWrite, *, if_match: int | None
) -> ChannelRead:
    """Replace a channel's rules. Petitions already created keep the rules they began with."""
    before = await repository.get_channel(conn, slug, for_update=True)
    if before is None:
        raise coded(NotFound, "channel-not-found", f"No channel {slug!r}.")
    if if_match is not None and if_match != before.version:
        raise PreconditionFailed(
            f"The channel is at version {before.version}, not {if_match}; read it again.",
            type_slug="channel-version-mismatch",
        )
    await _check(conn, data)
    after = await repository.update_channel(conn, slug, data)
    await repository.record_audit(
        conn,
        channel=slug,
        action="replaced",
        actor_id=actor,
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
    )
    return after
