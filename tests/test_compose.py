"""docker-compose.yml, the service Dockerfiles and .dockerignore, read as files.

No Docker engine is needed: these tests parse what `docker compose up --build`
would use and check the promises docs/deploy.md makes about it.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from sawt_shared.kafka import DOMAINS, all_topics

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("identity", "petitions", "consultations", "notifications")
HOST_PORTS = {"identity": 8001, "petitions": 8002, "consultations": 8003, "notifications": 8004}
PARTITIONS = 12


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose_service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    service = services[name]
    assert isinstance(service, dict)
    return service


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever form the file uses."""
    env = service.get("environment", {})
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {key: value for key, value in pairs}
    assert isinstance(env, dict)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return " ".join(str(part) for part in test[1:])


def command_text(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


# --- the services --------------------------------------------------------------


def test_compose_runs_exactly_the_stack() -> None:
    assert set(compose()["services"]) == {"postgres", "kafka", "kafka-init", *SERVICES}


@pytest.mark.parametrize("svc", SERVICES)
def test_service_is_built_from_its_dockerfile_at_the_repo_root(svc: str) -> None:
    build = compose_service(svc)["build"]
    assert build["context"] == "."
    assert build["dockerfile"] == f"services/{svc}/Dockerfile"
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert compose_service(svc)["image"] == f"sawt/{svc}:dev"


@pytest.mark.parametrize("svc", SERVICES)
def test_service_healthcheck_asks_healthz_with_python(svc: str) -> None:
    check = healthcheck_command(compose_service(svc))
    assert check.startswith("python -c ")
    assert "http://127.0.0.1:8000/healthz" in check


@pytest.mark.parametrize("svc", SERVICES)
def test_service_database_url_names_its_own_database(svc: str) -> None:
    env = environment(compose_service(svc))
    url = urlsplit(env[f"{svc.upper()}_DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert (url.username, url.password) == (svc, svc)
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/{svc}"


@pytest.mark.parametrize("svc", SERVICES)
def test_service_settings_point_at_the_broker_and_identity(svc: str) -> None:
    env = environment(compose_service(svc))
    prefix = f"{svc.upper()}_"
    assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[prefix + "SERVICE_NAME"] == svc
    assert env[prefix + "JWKS_URL"] == "http://identity:8000/.well-known/jwks.json"
    assert env[prefix + "TOPIC_PREFIX"] == ""
    assert env[prefix + "TOKEN_ISSUER"]
    # Settings are per service: nothing leaks in under another service's prefix.
    assert all(key.startswith(prefix) for key in env), sorted(env)


def test_every_service_expects_the_same_token_issuer() -> None:
    issuers = {environment(compose_service(svc))[f"{svc.upper()}_TOKEN_ISSUER"] for svc in SERVICES}
    assert len(issuers) == 1, issuers


@pytest.mark.parametrize("svc", SERVICES)
def test_service_waits_for_healthy_postgres_kafka_and_topics(svc: str) -> None:
    depends_on = compose_service(svc)["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["kafka"]["condition"] == "service_healthy"
    assert depends_on["kafka-init"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("svc", SERVICES)
def test_service_migrates_then_execs_its_app(svc: str) -> None:
    command = command_text(compose_service(svc))
    migrate = command.index(f"sawt-migrate {svc} && ")
    app = command.index(f"exec uvicorn --factory {svc}.app:create_app --host 0.0.0.0 --port 8000")
    assert migrate < app
    assert command.endswith(" --no-proxy-headers")


@pytest.mark.parametrize("svc", SERVICES)
def test_service_is_published_on_its_host_port(svc: str) -> None:
    assert compose_service(svc)["ports"] == [f"{HOST_PORTS[svc]}:8000"]


# --- PostgreSQL ----------------------------------------------------------------


def test_postgres_is_the_official_image_with_a_tcp_healthcheck() -> None:
    postgres = compose_service("postgres")
    assert postgres["image"] == "postgres:17"
    check = healthcheck_command(postgres)
    # TCP, not the socket: the init scripts' temporary server listens on the socket only.
    assert check.startswith("pg_isready -h 127.0.0.1 ")


def test_postgres_init_script_creates_one_database_per_service() -> None:
    postgres = compose_service("postgres")
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in postgres["volumes"]}
    initdb = ROOT / mounts["/docker-entrypoint-initdb.d"]
    scripts = sorted(initdb.glob("*.sh"))
    assert [s.name for s in scripts] == ["10-sawt-databases.sh"]
    text = scripts[0].read_text(encoding="utf-8")
    default = re.search(r"\$\{SAWT_DATABASES:-([^}]*)\}", text)
    assert default is not None
    assert default.group(1).split() == list(SERVICES)
    assert "CREATE ROLE :\"service\" LOGIN PASSWORD :'service';" in text
    assert 'CREATE DATABASE :"service" OWNER :"service";' in text
    assert 'REVOKE ALL ON DATABASE :"service" FROM PUBLIC;' in text


# --- Kafka ---------------------------------------------------------------------


def test_kafka_is_the_official_image_in_kraft_mode() -> None:
    kafka = compose_service("kafka")
    assert kafka["image"] == "apache/kafka:4.1.1"
    env = environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_NUM_PARTITIONS"] == str(PARTITIONS)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "-Xmx512m" in env["KAFKA_HEAP_OPTS"].split()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])


def test_kafka_replication_factors_are_one_on_one_broker() -> None:
    env = environment(compose_service("kafka"))
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
        "KAFKA_MIN_INSYNC_REPLICAS",
    ):
        assert env[key] == "1", key


def test_kafka_listeners_agree_with_each_other() -> None:
    env = environment(compose_service("kafka"))

    def names(value: str) -> list[str]:
        return [listener.split("://")[0] for listener in value.split(",")]

    protocols = dict(
        pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = names(env["KAFKA_LISTENERS"])
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert set(listeners) == set(protocols)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    # The containers reach the broker where the services are told to look.
    assert advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]] == "kafka:9092"


def test_kafka_healthcheck_asks_the_broker_for_its_api_versions() -> None:
    check = healthcheck_command(compose_service("kafka"))
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092" in check


def test_kafka_init_creates_every_topic_once_the_broker_is_healthy() -> None:
    init = compose_service("kafka-init")
    assert init["image"] == compose_service("kafka")["image"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    env = environment(init)
    assert env["KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SAWT_TOPIC_PARTITIONS"] == str(PARTITIONS)
    host, target = str(init["volumes"][0]).split(":")[:2]
    assert init["entrypoint"] == ["/bin/bash", target]
    script = (ROOT / host).read_text(encoding="utf-8")
    assert "/opt/kafka/bin/kafka-topics.sh" in script
    assert "--create --if-not-exists" in script
    loop = re.search(r"for domain in ([^;]+);", script)
    assert loop is not None
    assert tuple(loop.group(1).split()) == DOMAINS
    assert '"${prefix}${domain}.events" "${prefix}${domain}.events.dlq"' in script
    assert len(all_topics()) == 2 * len(DOMAINS)


def test_named_volumes_are_declared() -> None:
    declared = set(compose()["volumes"])
    used = {
        str(volume).split(":")[0]
        for service in compose()["services"].values()
        for volume in service.get("volumes", [])
        if not str(volume).startswith((".", "/"))
    }
    assert used == declared == {"postgres-data", "kafka-data"}


# --- Dockerfiles ---------------------------------------------------------------


def dockerfile_text(svc: str) -> str:
    return (ROOT / "services" / svc / "Dockerfile").read_text(encoding="utf-8")


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), " ".join(rest.split())))
    assert not pending, "a Dockerfile line continues past the end"
    return out


def workspace_members() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members: list[str] = []
    for pattern in pyproject["tool"]["uv"]["workspace"]["members"]:
        members += sorted(
            p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob(f"{pattern}/pyproject.toml")
        )
    return members


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_is_multi_stage_on_slim_python_with_pinned_uv(svc: str) -> None:
    steps = instructions(dockerfile_text(svc))
    args = dict(a.split("=", 1) for k, a in steps if k == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", args["PYTHON_IMAGE"])
    froms = [a for k, a in steps if k == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    uv = [a for k, a in steps if k == "COPY" and "astral-sh/uv" in a]
    assert len(uv) == 1
    assert re.fullmatch(r"--from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ /uv /bin/uv", uv[0])


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_syncs_the_locked_service_package_without_dev(svc: str) -> None:
    runs = [a for k, a in instructions(dockerfile_text(svc)) if k == "RUN" and "uv sync" in a]
    assert len(runs) == 2
    for run in runs:
        assert "uv sync --frozen --no-dev --" in run
        assert run.endswith(f" --package sawt-{svc}")
    assert "--no-install-workspace" in runs[0]
    assert "--no-editable" in runs[1]


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_copies_every_workspace_members_pyproject(svc: str) -> None:
    copies = {a for k, a in instructions(dockerfile_text(svc)) if k == "COPY"}
    members = workspace_members()
    assert {"shared", f"services/{svc}", "deploy/local"} <= set(members)
    for member in members:
        assert f"{member}/pyproject.toml {member}/" in copies, member
    assert "pyproject.toml uv.lock ./" in copies


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_runs_as_a_non_root_user(svc: str) -> None:
    users = [a for k, a in instructions(dockerfile_text(svc)) if k == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001"  # numeric, so Kubernetes' runAsNonRoot can verify it


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_healthcheck_asks_healthz(svc: str) -> None:
    checks = [a for k, a in instructions(dockerfile_text(svc)) if k == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition(" CMD ")
    assert json.loads(command)[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in command
    assert "--interval=" in options


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_starts_the_service_factory(svc: str) -> None:
    cmds = [a for k, a in instructions(dockerfile_text(svc)) if k == "CMD"]
    assert len(cmds) == 1
    argv = json.loads(cmds[0])
    assert argv[0] == "uvicorn"
    assert argv[argv.index("--factory") + 1] == f"{svc}.app:create_app"
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "8000"
    # the client address is the service's TRUSTED_PROXIES setting, not uvicorn's
    assert "--no-proxy-headers" in argv


def test_dockerfiles_differ_only_in_the_service_name() -> None:
    member_copy = re.compile(r"^COPY [\w/]+/pyproject\.toml [\w/]+/$", re.MULTILINE)

    def normalised(svc: str) -> str:
        return member_copy.sub("", dockerfile_text(svc)).replace(svc, "<svc>")

    reference = normalised(SERVICES[0])
    for svc in SERVICES[1:]:
        assert normalised(svc) == reference, svc


# --- .dockerignore -------------------------------------------------------------


def dockerignore() -> list[str]:
    text = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    rules = dockerignore()
    for pattern in (".git", "**/.venv", ".stack", "**/__pycache__", "**/.env"):
        assert pattern in rules, pattern


def test_dockerignore_keeps_what_the_images_need() -> None:
    rules = dockerignore()
    for needed in ("pyproject.toml", "uv.lock", "shared", "services", "**/src", "**/*.toml"):
        assert needed not in rules, needed
    if "deploy/local/*" in rules:
        assert rules.index("!deploy/local/pyproject.toml") > rules.index("deploy/local/*")
