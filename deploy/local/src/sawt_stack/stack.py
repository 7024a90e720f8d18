"""What ``up``, ``down``, ``status`` and ``test`` do, in order, with their clean-ups."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import TypeVar

import httpx

from sawt_stack import checks, services
from sawt_stack.config import SERVICES, StackConfig
from sawt_stack.kafka import Kafka
from sawt_stack.leases import Lease, Owner, live_leases, read_owner, stack_lock, write_owner
from sawt_stack.mail import DevMail
from sawt_stack.paths import StackPaths
from sawt_stack.ports import port_answers
from sawt_stack.postgres import Postgres
from sawt_stack.processes import find_processes, stop_pid, tail

__all__ = ["Stack", "StackError", "Stopped"]

T = TypeVar("T")


class StackError(RuntimeError):
    """A step failed; the message tells what and where to look."""


class Stopped(Exception):
    """Ctrl-C, SIGTERM or SIGHUP asked the stack manager to stop."""


def say(message: str) -> None:
    print(message, flush=True)


def render_env(admin_dsn: str, bootstrap: str) -> str:
    """The ``.stack/env`` file the tests and humans source."""
    return (
        "# Written by ./sawt. Load it with: set -a; . .stack/env; set +a\n"
        f"SAWT_PG_ADMIN_DSN={admin_dsn}\n"
        f"SAWT_KAFKA_BOOTSTRAP={bootstrap}\n"
    )


@contextmanager
def stop_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Stopped`, Ctrl-C into KeyboardInterrupt.

    SIGINT gets its handler even when the parent left it ignored (a background job
    of a script), so a stack in the foreground always stops cleanly.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ignore_stop_signals() -> None:
    """While cleaning up, a second Ctrl-C must not leave half the stack running."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


@dataclass
class Started:
    """What one invocation started, so a failure stops exactly that."""

    infra: list[str] = field(default_factory=list)
    #: Components test runs had started and ``up`` took over.
    adopted: list[str] = field(default_factory=list)
    services: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


class Stack:
    def __init__(self, paths: StackPaths, config: StackConfig) -> None:
        self.paths = paths
        self.config = config
        self.postgres = Postgres(paths, config)
        self.kafka = Kafka(paths, config)
        self.mail = DevMail(paths, config)

    # -- infrastructure ------------------------------------------------------------

    def _infra(self) -> dict[str, tuple[Callable[[], int | None], Callable[[], None]]]:
        return {
            "postgres": (self.postgres.running_pid, self.postgres.start),
            "kafka": (self.kafka.running_pid, self.kafka.start),
        }

    def ensure_infra(self, owner: Owner, started: Started) -> None:
        """Start PostgreSQL and Kafka unless they run; ``up`` adopts ones tests started."""
        self.paths.make_dirs()
        with stack_lock(self.paths):
            for name, (running, start) in self._infra().items():
                label = _label(name)
                if running() is not None:
                    start()  # a no-op that returns once it answers
                    if owner == "up" and read_owner(self.paths, name) != "up":
                        write_owner(self.paths, name, "up")
                        started.adopted.append(name)
                    say(f"  {label}: already running")
                    continue
                say(f"  {label}: starting…")
                t0 = time.monotonic()
                start()
                write_owner(self.paths, name, owner)
                started.infra.append(name)
                say(f"  {label}: ready ({time.monotonic() - t0:.1f} s)")
        self.paths.env_file.write_text(
            render_env(self.postgres.admin_dsn(), self.config.kafka_bootstrap)
        )
        self.paths.env_file.chmod(0o600)

    def _stop_infra(self, name: str) -> bool:
        stopped = self.postgres.stop() if name == "postgres" else self.kafka.stop()
        write_owner(self.paths, name, None)
        return stopped

    # -- up ------------------------------------------------------------------------

    def up(self, *, detach: bool, only_infra: bool = False) -> int:
        started = Started()
        try:
            with stop_signals():
                self._bring_up(started, only_infra=only_infra)
                if detach:
                    say("\nrunning in the background; stop it with ./sawt down")
                    return 0
                say("\nrunning; press Ctrl-C to stop everything")
                self._watch([] if only_infra else list(SERVICES))
        except (KeyboardInterrupt, Stopped):
            ignore_stop_signals()
            say("\nstopping…")
            return self.down(force=False)
        except StackError as exc:
            ignore_stop_signals()
            say(f"\nerror: {exc}")
            say("stopping what this command started…")
            self._stop_started(started)
            return 1
        # The watch loop only returns when a process died.
        ignore_stop_signals()
        say("stopping everything…")
        self.down(force=False)
        return 1

    def _bring_up(self, started: Started, *, only_infra: bool) -> None:
        from sawt_shared.kafka import all_topics, ensure_topics
        from sawt_shared.migrations import upgrade_to_head

        t0 = time.monotonic()
        say("infrastructure")
        self._guard("infrastructure", lambda: self.ensure_infra("up", started))
        self._guard("databases", lambda: asyncio.run(self.postgres.provision(SERVICES)))
        say("  databases: " + ", ".join(SERVICES))
        topics = all_topics("")
        self._guard(
            "topics", lambda: asyncio.run(ensure_topics(self.config.kafka_bootstrap, topics))
        )
        say(
            f"  topics: {len(topics)} ({', '.join(t for t in topics if not t.endswith('.dlq'))} "
            "and their .dlq twins)"
        )
        if not only_infra:
            say("migrations")
            for name in SERVICES:
                self._guard(
                    f"migrations of {name}",
                    partial(upgrade_to_head, name, self.config.database_url(name)),
                )
                say(f"  {name}: at head")
            say("mail")
            self._guard("the mail server", lambda: self.mail.start())
            say(
                f"  devmail: SMTP on 127.0.0.1:{self.config.mail_port}, mail kept in {self.paths.mail}/new"
            )
            say("services")
            for name in SERVICES:
                self._start_service(name, started)
            say("demo data")
            for name in SERVICES:
                ran = self._guard(
                    f"demo data of {name}",
                    partial(services.run_demo, self.paths, self.config, name),
                )
                say(f"  {name}: {'seeded' if ran else 'none'}")
        say(f"\nup in {time.monotonic() - t0:.1f} s")
        say(self.render_table(only_infra=only_infra))

    def _start_service(self, name: str, started: Started) -> None:
        proc = self._guard(
            f"starting {name}", lambda: services.start_service(self.paths, self.config, name)
        )
        if proc is None:
            say(f"  {name}: already running")
            pid = services.running_pid(self.paths, name)
            if pid is None:
                raise StackError(f"{name} stopped while being checked")
        else:
            started.services[name] = proc
            pid = proc.pid
        self._guard(
            f"{name} readiness",
            lambda: services.wait_ready(self.paths, self.config, name, pid),
        )
        if proc is not None:
            say(f"  {name}: ready on {self.config.service_url(name)}")

    @staticmethod
    def _guard(what: str, action: Callable[[], T]) -> T:
        """Run a step; turn its failure into :class:`StackError`."""
        try:
            return action()
        except (KeyboardInterrupt, Stopped, StackError):
            raise
        except Exception as exc:
            ours = type(exc).__module__.startswith("sawt_stack.")
            detail = str(exc) if ours else f"{type(exc).__name__}: {exc}"
            raise StackError(f"{what}: {detail}") from exc

    def _stop_started(self, started: Started) -> None:
        for name in reversed(list(started.services)):
            if services.stop_service(self.paths, name):
                say(f"  {name}: stopped")
        if self.mail.stop():
            say("  devmail: stopped")
        with stack_lock(self.paths):
            for name in reversed(started.infra + started.adopted):
                if live_leases(self.paths):
                    write_owner(self.paths, name, "test")
                elif self._stop_infra(name):
                    say(f"  {_label(name)}: stopped")

    def _watch(self, names: list[str]) -> None:
        """Sleep until a process of the stack dies (then report it and return)."""
        while True:
            time.sleep(1.0)
            for name in names:
                if services.running_pid(self.paths, name) is None:
                    say(f"\n{name} stopped unexpectedly; the end of {self.paths.log(name)}:")
                    say(tail(self.paths.log(name)))
                    return
            if names and self.mail.running_pid() is None:
                say(f"\nthe mail server stopped unexpectedly; the end of {self.mail.log}:")
                say(tail(self.paths.log("devmail")))
                return
            if self.kafka.running_pid() is None:
                say(f"\nKafka stopped unexpectedly; the end of {self.kafka.log}:")
                say(tail(self.kafka.log))
                return
            if self.postgres.running_pid() is None:
                say(f"\nPostgreSQL stopped unexpectedly; the end of {self.postgres.log}:")
                say(tail(self.postgres.log))
                return

    # -- down ----------------------------------------------------------------------

    def down(self, *, force: bool) -> int:
        self.paths.make_dirs()
        for name in reversed(list(SERVICES)):
            if services.stop_service(self.paths, name):
                say(f"  {name}: stopped")
        if self.mail.stop():
            say("  devmail: stopped")
        with stack_lock(self.paths):
            leases = live_leases(self.paths)
            for name in ("kafka", "postgres"):
                label = _label(name)
                if leases and not force:
                    running = self._infra()[name][0]() is not None
                    if running:
                        write_owner(self.paths, name, "test")
                        say(
                            f"  {label}: left running for {len(leases)} test run(s) "
                            f"(pids {', '.join(map(str, leases))}); the last one stops it"
                        )
                    continue
                if self._stop_infra(name):
                    say(f"  {label}: stopped")
            if not leases or force:
                self._stop_stragglers()
        return 0

    def _straggler_markers(self) -> list[list[str]]:
        return [
            ["kafka.Kafka", str(self.kafka.server_properties)],
            ["uvicorn", str(self.paths.run) + "/"],
            ["notifications.devmail", str(self.paths.mail)],
            [str(self.paths.postgres_data)],
        ]

    def _stop_stragglers(self) -> None:
        """Processes of the stack whose pid file was lost (a crash, a deleted file)."""
        for markers in self._straggler_markers():
            for pid in find_processes(markers):
                say(f"  stray process {pid}: stopping")
                sig = signal.SIGINT if markers[0] == str(self.paths.postgres_data) else None
                stop_pid(pid, timeout=10, sig=sig or signal.SIGTERM)

    # -- status --------------------------------------------------------------------

    def status(self) -> int:
        rows: list[tuple[str, str, str, str]] = []
        pg = self.postgres.running_pid()
        rows.append(
            (
                "postgres",
                str(pg or "-"),
                f"127.0.0.1:{self.config.pg_port}",
                self._infra_state(pg, "postgres", self.config.pg_port),
            )
        )
        kafka = self.kafka.running_pid()
        rows.append(
            (
                "kafka",
                str(kafka or "-"),
                self.config.kafka_bootstrap,
                self._infra_state(kafka, "kafka", self.config.kafka_port),
            )
        )
        mail = self.mail.running_pid()
        rows.append(
            (
                "devmail",
                str(mail or "-"),
                f"127.0.0.1:{self.config.mail_port}",
                f"running, mail in {self.paths.mail}/new"
                if mail
                else _stopped(self.config.mail_port),
            )
        )
        with httpx.Client(timeout=1.0) as client:
            for name in SERVICES:
                pid = services.running_pid(self.paths, name)
                state = _stopped(self.config.service_port(name))
                if pid is not None:
                    try:
                        code = client.get(f"{self.config.service_url(name)}/readyz").status_code
                        state = "ready" if code == 200 else f"running, /readyz {code}"
                    except httpx.HTTPError:
                        state = "running, not answering"
                rows.append((name, str(pid or "-"), self.config.service_url(name), state))
        say(_table(("component", "pid", "address", "state"), rows))
        leases = live_leases(self.paths) if self.paths.leases.is_dir() else []
        if leases:
            say(f"\ntest runs using PostgreSQL and Kafka: {', '.join(map(str, leases))}")
        say(f"\nlogs: {self.paths.logs}/<name>.log   env: {self.paths.env_file}")
        return 0

    def _infra_state(self, pid: int | None, name: str, port: int) -> str:
        if pid is None:
            return _stopped(port)
        owner = read_owner(self.paths, name)
        return "running" + (" (for test runs)" if owner == "test" else "")

    def render_table(self, *, only_infra: bool) -> str:
        rows = []
        if not only_infra:
            for name in SERVICES:
                url = self.config.service_url(name)
                rows.append((name, url, f"{url}/docs", self.config.database_url(name)))
        lines = [_table(("service", "URL", "OpenAPI", "PostgreSQL DSN"), rows)] if rows else []
        lines += [
            "",
            f"PostgreSQL      127.0.0.1:{self.config.pg_port}  (superuser DSN in {self.paths.env_file})",
            f"Kafka           {self.config.kafka_bootstrap}",
            f"mail (SMTP)     127.0.0.1:{self.config.mail_port}  (every message sent: {self.paths.mail}/new)",
            f"logs            {self.paths.logs}/<name>.log",
        ]
        return "\n".join(lines)

    # -- test ----------------------------------------------------------------------

    def test(self, pytest_args: list[str]) -> int:
        started = Started()
        results: list[checks.StepResult] = []
        with Lease(self.paths):
            try:
                with stop_signals():
                    say("infrastructure for the tests")
                    self._guard("infrastructure", lambda: self.ensure_infra("test", started))
                    env = {
                        **os.environ,
                        "SAWT_PG_ADMIN_DSN": self.postgres.admin_dsn(),
                        "SAWT_KAFKA_BOOTSTRAP": self.config.kafka_bootstrap,
                        "SAWT_TEST_RUN_ID": secrets.token_hex(4),
                    }
                    mypy_path = checks.mypy_path(self.paths.root)
                    if mypy_path:
                        env["MYPYPATH"] = ":".join(filter(None, [mypy_path, env.get("MYPYPATH")]))
                    for step in checks.check_steps(self.paths.root, sys.executable, pytest_args):
                        say(f"\n── {step.name} ──")
                        results.append(checks.run_step(step, cwd=self.paths.root, env=env))
            except (KeyboardInterrupt, Stopped):
                ignore_stop_signals()
                say("\ninterrupted")
                return 130
            except StackError as exc:
                ignore_stop_signals()
                say(f"\nerror: {exc}")
                return 1
            finally:
                ignore_stop_signals()
                self._release_test_infra()
        say(checks.render_summary(results))
        return 0 if results and all(r.passed for r in results) else 1

    def _release_test_infra(self) -> None:
        """Stop what only test runs needed, once this is the last test run."""
        with stack_lock(self.paths):
            if live_leases(self.paths):
                return
            for name in ("kafka", "postgres"):
                if read_owner(self.paths, name) == "test" and self._stop_infra(name):
                    say(f"  {_label(name)}: stopped")


def _label(name: str) -> str:
    return "PostgreSQL" if name == "postgres" else "Kafka"


def _stopped(port: int) -> str:
    if port_answers(port):
        return "stopped (another program listens on its port)"
    return "stopped"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [header, *rows])
