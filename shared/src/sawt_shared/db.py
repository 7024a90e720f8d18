"""PostgreSQL through asyncpg: the pool, and the request's transaction.

The pool is made in the app's lifespan (never at import). A route that changes
state takes :data:`DbTransaction`: one connection in one transaction, committed
after the route returns and before the response is sent, rolled back if the
route raises. So a client is told "done" only for what is durable.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, Request

__all__ = [
    "Connection",
    "DbConnection",
    "DbTransaction",
    "create_pool",
    "db_connection",
    "db_transaction",
]

#: A connection as repositories take it: straight from ``connect`` or from the pool.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    database_url: str, *, min_size: int = 2, max_size: int = 10, command_timeout: float = 60.0
) -> asyncpg.Pool:
    """A pool whose connections read and write ``json``/``jsonb`` as Python values."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=command_timeout,
    )
    return pool


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def db_transaction(request: Request) -> AsyncIterator[Connection]:
    """One connection in one transaction for the request; committed before the response."""
    async with _pool(request).acquire() as conn, conn.transaction():
        yield conn


async def db_connection(request: Request) -> AsyncIterator[Connection]:
    """One connection without a transaction, for reads."""
    async with _pool(request).acquire() as conn:
        yield conn


DbTransaction = Annotated[Connection, Depends(db_transaction, scope="function")]
DbConnection = Annotated[Connection, Depends(db_connection, scope="function")]
