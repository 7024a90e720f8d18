import os
from pathlib import Path

import pytest

from sawt_stack.processes import cmdline_matches, owned_pid, parse_pid, parse_proc_stat


@pytest.mark.parametrize(
    ("text", "pid"),
    [("1234\n", 1234), ("4321\n/data\n1700000000\n", 4321), ("", None), ("abc", None), ("1", None)],
)
def test_parse_pid(text: str, pid: int | None) -> None:
    assert parse_pid(text) == pid


def test_cmdline_must_hold_every_marker() -> None:
    cmdline = b"/usr/bin/java\0-cp\0/r/.stack/kafka/libs/*\0kafka.Kafka\0/r/.stack/kafka/s.p\0"

    assert cmdline_matches(cmdline, ["kafka.Kafka", "/r/.stack/kafka/s.p"])
    assert not cmdline_matches(cmdline, ["kafka.Kafka", "/other/.stack/kafka/s.p"])
    assert not cmdline_matches(b"", ["kafka.Kafka"])
    assert not cmdline_matches(cmdline, [])


def test_proc_stat_survives_odd_command_names() -> None:
    fields = ["S", *(str(n) for n in range(4, 22)), "98765", "0"]
    stat = parse_proc_stat("42 (we ird) (name)) " + " ".join(fields))

    assert stat is not None
    assert stat.state == "S"
    assert stat.start_time == 98765
    assert parse_proc_stat("garbage") is None


def test_pid_file_is_trusted_only_with_its_markers(tmp_path: Path) -> None:
    pid_file = tmp_path / "me.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    own_cmdline = Path(f"/proc/{os.getpid()}/cmdline").read_bytes().split(b"\0")[0].decode()

    assert owned_pid(pid_file, [own_cmdline]) == os.getpid()
    assert owned_pid(pid_file, [own_cmdline, "/not/our/.stack"]) is None
    assert owned_pid(tmp_path / "missing.pid", [own_cmdline]) is None
