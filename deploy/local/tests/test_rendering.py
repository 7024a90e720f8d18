from pathlib import Path

from sawt_stack.config import StackConfig
from sawt_stack.kafka import render_log4j2, render_server_properties
from sawt_stack.postgres import (
    newest_bindir,
    quote_ident,
    quote_literal,
    render_hba,
    render_settings,
)
from sawt_stack.stack import render_env


def _properties(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_kafka_is_one_kraft_node_on_loopback() -> None:
    config = StackConfig.from_env({"SAWT_KAFKA_PORT": "7000"})

    props = _properties(render_server_properties(config, Path("/r/.stack/kafka/data")))

    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:7001"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:7000,CONTROLLER://127.0.0.1:7001"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:7000"
    assert props["log.dirs"] == "/r/.stack/kafka/data"
    assert props["num.partitions"] == "12"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"


def test_kafka_logs_warnings_to_stdout() -> None:
    props = _properties(render_log4j2().replace(" = ", "="))

    assert props["rootLogger.level"] == "WARN"
    assert props["appender.console.type"] == "Console"


def test_postgres_listens_on_loopback_only_and_stays_durable() -> None:
    settings = render_settings(6543)

    assert "listen_addresses = '127.0.0.1'" in settings
    assert "port = 6543" in settings
    assert "unix_socket_directories = ''" in settings
    assert "fsync = on" in settings
    assert "synchronous_commit = on" in settings


def test_postgres_wants_passwords_from_loopback_only() -> None:
    rules = [line.split() for line in render_hba().splitlines() if not line.startswith("#")]

    assert rules
    assert all(rule[0] == "host" and rule[-1] == "scram-sha-256" for rule in rules)
    assert {rule[3] for rule in rules} == {"127.0.0.1/32", "::1/128"}


def test_newest_postgres_binaries_win_by_number() -> None:
    found = newest_bindir(Path(f"/usr/lib/postgresql/{v}/bin") for v in ("9", "15", "13", "x"))

    assert found == Path("/usr/lib/postgresql/15/bin")
    assert newest_bindir([]) is None


def test_sql_quoting() -> None:
    assert quote_ident("petitions") == '"petitions"'
    assert quote_ident('we"ird') == '"we""ird"'
    assert quote_literal("it's") == "'it''s'"


def test_env_file_names_admin_dsn_and_bootstrap() -> None:
    text = render_env("postgresql://postgres:pw@127.0.0.1:55432/postgres", "127.0.0.1:59092")

    assert "SAWT_PG_ADMIN_DSN=postgresql://postgres:pw@127.0.0.1:55432/postgres\n" in text
    assert "SAWT_KAFKA_BOOTSTRAP=127.0.0.1:59092\n" in text
