"""The Sawt services on the local stack: their environment, start, readiness, demo data."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Mapping

import httpx

from sawt_stack.config import HOST, StackConfig
from sawt_stack.paths import StackPaths
from sawt_stack.ports import port_answers
from sawt_stack.processes import is_alive, owned_pid, spawn, stop_pid, tail

__all__ = [
    "ServiceError",
    "has_demo",
    "render_env_file",
    "run_demo",
    "running_pid",
    "service_argv",
    "service_env",
    "start_service",
    "stop_service",
    "wait_ready",
]


class ServiceError(RuntimeError):
    """A service did not start, get ready or seed its demo data; the message says why."""


def service_env(
    name: str,
    database_url: str,
    bootstrap: str,
    topic_prefix: str = "",
    *,
    identity_url: str = f"http://{HOST}:8001",
) -> dict[str, str]:
    """The settings service ``name`` reads from its environment (prefix ``<NAME>_``).

    The consumer-group prefix follows the topic prefix, so a test run's consumers
    never join the groups of the dev stack.
    """
    prefix = name.upper() + "_"
    own: dict[str, str] = {}
    if name == "identity":
        # the issuer of every token and the base of every emailed link; plain HTTP here
        own = {"IDENTITY_ISSUER": identity_url, "IDENTITY_COOKIE_SECURE": "false"}
    return own | {
        prefix + "DATABASE_URL": database_url,
        prefix + "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        prefix + "SERVICE_NAME": name,
        prefix + "JWKS_URL": f"{identity_url}/.well-known/jwks.json",
        prefix + "TOKEN_ISSUER": identity_url,
        prefix + "TOPIC_PREFIX": topic_prefix,
        prefix + "CONSUMER_GROUP_PREFIX": topic_prefix,
    }


def stack_service_env(config: StackConfig, name: str) -> dict[str, str]:
    """:func:`service_env` for the dev stack: the service's own database, no prefixes;
    the notifications service sends to the development mail server."""
    env = service_env(
        name,
        config.database_url(name),
        config.kafka_bootstrap,
        identity_url=config.service_url("identity"),
    )
    if name == "notifications":
        env["NOTIFICATIONS_SMTP_HOST"] = HOST
        env["NOTIFICATIONS_SMTP_PORT"] = str(config.mail_port)
    return env


def render_env_file(env: Mapping[str, str]) -> str:
    """``KEY=value`` lines (values are URLs and names: no quoting needed)."""
    return "".join(f"{key}={value}\n" for key, value in sorted(env.items()))


def service_argv(python: str, name: str, port: int, env_file: str | None = None) -> list[str]:
    """How a service is started, by the stack and by the end-to-end tests; the stack's
    ``--env-file`` also marks the process as its own."""
    return [
        python,
        "-m",
        "uvicorn",
        "--factory",
        f"{name}.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        *(["--env-file", env_file] if env_file is not None else []),
        "--timeout-graceful-shutdown",
        "5",
        # The client address behind a proxy is the service's own setting
        # (TRUSTED_PROXIES, sawt_shared.clientip); uvicorn's copy would also cost
        # tens of microseconds a request.
        "--no-proxy-headers",
    ]


def _markers(paths: StackPaths, name: str) -> list[str]:
    return [f"{name}.app:create_app", str(paths.service_env_file(name))]


def running_pid(paths: StackPaths, name: str) -> int | None:
    return owned_pid(paths.pid_file(name), _markers(paths, name))


def start_service(
    paths: StackPaths, config: StackConfig, name: str
) -> subprocess.Popen[bytes] | None:
    """Start service ``name`` unless it runs already (then ``None``)."""
    if running_pid(paths, name) is not None:
        return None
    port = config.service_port(name)
    if port_answers(port):
        raise ServiceError(
            f"port {port} for {name} is taken by another program; stop it or choose another "
            f"port with SAWT_{name.upper()}_PORT"
        )
    env = stack_service_env(config, name)
    env_file = paths.service_env_file(name)
    env_file.write_text(render_env_file(env))
    return spawn(
        service_argv(sys.executable, name, port, str(env_file)),
        log=paths.log(name),
        pid_file=paths.pid_file(name),
        env={**os.environ, **env},
        cwd=paths.root,
    )


def wait_ready(
    paths: StackPaths, config: StackConfig, name: str, pid: int, *, deadline: float = 60.0
) -> None:
    """Wait until ``GET /readyz`` answers 200; fail with the log's tail otherwise."""
    url = f"{config.service_url(name)}/readyz"
    until = time.monotonic() + deadline
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < until:
            if not is_alive(pid):
                raise ServiceError(
                    f"{name} exited while starting; the end of {paths.log(name)}:\n"
                    f"{tail(paths.log(name))}"
                )
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.3)
    raise ServiceError(
        f"{name} was not ready at {url} within {deadline:.0f} s ({last}); "
        f"the end of {paths.log(name)}:\n{tail(paths.log(name))}"
    )


def stop_service(paths: StackPaths, name: str, *, timeout: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after ``timeout``; whether it was running."""
    pid = running_pid(paths, name)
    if pid is not None:
        stop_pid(pid, timeout=timeout)
    paths.pid_file(name).unlink(missing_ok=True)
    return pid is not None


def has_demo(name: str) -> bool:
    """Whether service ``name`` ships demo data (a ``<name>.demo`` module)."""
    try:
        return importlib.util.find_spec(f"{name}.demo") is not None
    except ModuleNotFoundError:
        return False


def run_demo(paths: StackPaths, config: StackConfig, name: str, *, timeout: float = 300) -> bool:
    """Run ``python -m <name>.demo`` (idempotent by contract); whether there was one."""
    if not has_demo(name):
        return False
    log = paths.log(f"{name}-demo")
    with log.open("ab") as out:
        try:
            result = subprocess.run(
                [sys.executable, "-m", f"{name}.demo"],
                env={**os.environ, **stack_service_env(config, name)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=paths.root,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ServiceError(f"{name}'s demo data took over {timeout:.0f} s; see {log}") from None
    if result.returncode != 0:
        raise ServiceError(f"{name}'s demo data failed; the end of {log}:\n{tail(log)}")
    return True
