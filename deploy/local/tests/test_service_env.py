from sawt_stack.config import StackConfig
from sawt_stack.services import render_env_file, service_argv, service_env, stack_service_env


def test_service_env_uses_the_service_prefix() -> None:
    env = service_env(
        "petitions", "postgresql://p:p@127.0.0.1:1/p", "127.0.0.1:9092", topic_prefix="t1."
    )

    assert env == {
        "PETITIONS_DATABASE_URL": "postgresql://p:p@127.0.0.1:1/p",
        "PETITIONS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "PETITIONS_SERVICE_NAME": "petitions",
        "PETITIONS_JWKS_URL": "http://127.0.0.1:8001/.well-known/jwks.json",
        "PETITIONS_TOKEN_ISSUER": "http://127.0.0.1:8001",
        "PETITIONS_TOPIC_PREFIX": "t1.",
        "PETITIONS_CONSUMER_GROUP_PREFIX": "t1.",
    }


def test_stack_env_points_at_the_identity_port_in_use() -> None:
    config = StackConfig.from_env({"SAWT_IDENTITY_PORT": "9101", "SAWT_PG_PORT": "6001"})

    env = stack_service_env(config, "consultations")

    assert env["CONSULTATIONS_TOKEN_ISSUER"] == "http://127.0.0.1:9101"
    assert env["CONSULTATIONS_JWKS_URL"] == "http://127.0.0.1:9101/.well-known/jwks.json"
    assert env["CONSULTATIONS_DATABASE_URL"].endswith("@127.0.0.1:6001/consultations")
    assert env["CONSULTATIONS_TOPIC_PREFIX"] == ""


def test_env_file_is_sorted_key_value_lines() -> None:
    assert render_env_file({"B": "2", "A": "x=y"}) == "A=x=y\nB=2\n"


def test_service_command_line_carries_its_markers() -> None:
    argv = service_argv("/venv/bin/python", "identity", 8001, "/repo/.stack/run/identity.env")

    assert argv[:5] == ["/venv/bin/python", "-m", "uvicorn", "--factory", "identity.app:create_app"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8001"
    assert argv[argv.index("--env-file") + 1] == "/repo/.stack/run/identity.env"
    assert "--no-proxy-headers" in argv  # the service's TRUSTED_PROXIES decides
    # the end-to-end tests start services the same way, without the stack's env file
    assert service_argv("/venv/bin/python", "identity", 8001) == [
        a for a in argv if a not in ("--env-file", "/repo/.stack/run/identity.env")
    ]


def test_notifications_send_to_the_development_mail_server() -> None:
    config = StackConfig.from_env({"SAWT_MAIL_PORT": "2525"})

    env = stack_service_env(config, "notifications")

    assert env["NOTIFICATIONS_SMTP_HOST"] == "127.0.0.1"
    assert env["NOTIFICATIONS_SMTP_PORT"] == "2525"
    assert "PETITIONS_SMTP_PORT" not in stack_service_env(config, "petitions")


def test_devmail_command_line_names_its_maildir() -> None:
    from pathlib import Path

    from sawt_stack.mail import DevMail
    from sawt_stack.paths import StackPaths

    mail = DevMail(StackPaths(Path("/repo")), StackConfig())
    argv = mail.argv()

    assert argv[1:3] == ["-m", "notifications.devmail"]
    assert argv[argv.index("--port") + 1] == "8025"
    assert argv[argv.index("--maildir") + 1] == "/repo/.stack/mail"


def test_identity_issues_tokens_as_the_url_it_is_reached_at() -> None:
    env = service_env("identity", "postgresql://i@h/i", "k:1", identity_url="http://127.0.0.1:9101")

    assert env["IDENTITY_ISSUER"] == "http://127.0.0.1:9101"
    assert env["IDENTITY_TOKEN_ISSUER"] == "http://127.0.0.1:9101"
    assert env["IDENTITY_COOKIE_SECURE"] == "false"
