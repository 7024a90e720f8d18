import pytest

from sawt_stack.config import StackConfig


def test_defaults_are_the_documented_ports() -> None:
    config = StackConfig.from_env({})

    assert config.pg_port == 55432
    assert config.kafka_bootstrap == "127.0.0.1:59092"
    assert config.controller_port == 59093
    assert [config.service_port(n) for n in ("identity", "petitions")] == [8001, 8002]
    assert [config.service_port(n) for n in ("consultations", "notifications")] == [8003, 8004]


def test_environment_overrides_ports() -> None:
    config = StackConfig.from_env(
        {"SAWT_PG_PORT": "6000", "SAWT_KAFKA_PORT": "7000", "SAWT_IDENTITY_PORT": "9001"}
    )

    assert config.database_url("petitions") == (
        "postgresql://petitions:petitions@127.0.0.1:6000/petitions"
    )
    assert config.controller_port == 7001
    assert config.service_url("identity") == "http://127.0.0.1:9001"
    assert config.service_port("petitions") == 8002


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_a_bad_port_is_refused_with_its_variable(value: str) -> None:
    with pytest.raises(ValueError, match="SAWT_PG_PORT"):
        StackConfig.from_env({"SAWT_PG_PORT": value})
