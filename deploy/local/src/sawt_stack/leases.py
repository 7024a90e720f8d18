"""Sharing PostgreSQL and Kafka between ``up`` and concurrent ``test`` runs.

Several people (or terminals) may run ``./sawt test`` in one checkout while a
stack started by ``./sawt up`` runs, or not. Three small records keep them from
pulling the infrastructure out from under each other:

* a lock file (``.stack/run/stack.lock``) held while starting or stopping
  PostgreSQL and Kafka;
* an owner file per component (``.stack/run/<name>.owner``): ``up`` if a stack
  started or adopted it, ``test`` if only test runs need it;
* a lease per running ``test`` (``.stack/run/leases/<pid>``, holding the process's
  start time so a reused pid is not mistaken for it).

A test run stops, when it ends, the components owned by ``test`` once no other
lease is alive. ``down`` hands PostgreSQL and Kafka over to the test runs still
alive instead of stopping them (unless forced); the last of them stops them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from sawt_stack.paths import StackPaths
from sawt_stack.processes import read_proc_stat

__all__ = ["Lease", "Owner", "live_leases", "read_owner", "stack_lock", "write_owner"]

Owner = Literal["up", "test"]


@contextlib.contextmanager
def stack_lock(paths: StackPaths) -> Iterator[None]:
    """Hold the stack's lock (blocking) for the duration of the block."""
    paths.run.mkdir(parents=True, exist_ok=True)
    with paths.lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_owner(paths: StackPaths, name: str) -> Owner | None:
    try:
        text = paths.owner_file(name).read_text().strip()
    except OSError:
        return None
    if text == "up":
        return "up"
    if text == "test":
        return "test"
    return None


def write_owner(paths: StackPaths, name: str, owner: Owner | None) -> None:
    if owner is None:
        paths.owner_file(name).unlink(missing_ok=True)
    else:
        paths.owner_file(name).write_text(owner + "\n")


class Lease:
    """This process's claim on PostgreSQL and Kafka while it runs tests."""

    def __init__(self, paths: StackPaths) -> None:
        self._file = paths.leases / str(os.getpid())

    def __enter__(self) -> Lease:
        stat = read_proc_stat(os.getpid())
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._file.write_text(f"{stat.start_time if stat else 0}\n")
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.unlink(missing_ok=True)


def _lease_alive(lease: Path) -> bool:
    if not lease.name.isdigit():
        return False
    stat = read_proc_stat(int(lease.name))
    try:
        recorded = lease.read_text().strip()
    except OSError:
        return False
    return stat is not None and stat.state not in ("Z", "X") and recorded == str(stat.start_time)


def live_leases(paths: StackPaths) -> list[int]:
    """The pids of the other test runs alive now; stale leases are removed."""
    alive: list[int] = []
    if not paths.leases.is_dir():
        return alive
    for lease in paths.leases.iterdir():
        if lease.name == str(os.getpid()):
            continue
        if _lease_alive(lease):
            alive.append(int(lease.name))
        else:
            lease.unlink(missing_ok=True)
    return sorted(alive)
