"""Starting, recognising and stopping the stack's background processes.

Every process the stack starts runs in its own session (so a Ctrl-C in the
terminal reaches the stack manager only, which then stops its children in
order) and is recorded in a pid file. A pid file is trusted only if the process
it names still runs *and* its command line carries the markers the stack put
there (the repository's ``.stack`` path, the module name): pids get reused, and
``down`` must never signal a stranger.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ProcStat",
    "cmdline_matches",
    "find_processes",
    "is_alive",
    "owned_pid",
    "parse_pid",
    "parse_proc_stat",
    "read_cmdline",
    "spawn",
    "stop_pid",
    "tail",
    "wait_gone",
]

#: A log bigger than this is moved to ``<name>.log.1`` when its process starts.
LOG_ROTATE_BYTES = 20 * 1024 * 1024


def parse_pid(text: str) -> int | None:
    """The pid on the first line of a pid file (PostgreSQL's has more lines), if any."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not first.isdigit():
        return None
    pid = int(first)
    return pid if pid > 1 else None


def cmdline_matches(cmdline: bytes, markers: Sequence[str]) -> bool:
    """Whether a ``/proc/<pid>/cmdline`` holds every marker (and is not empty)."""
    if not cmdline or not markers:
        return False
    text = cmdline.replace(b"\0", b" ").decode("utf-8", "replace")
    return all(marker in text for marker in markers)


@dataclass(frozen=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` the stack needs."""

    state: str
    start_time: int


def parse_proc_stat(text: str) -> ProcStat | None:
    """Parse ``/proc/<pid>/stat``; the command name in parentheses may hold anything."""
    end = text.rfind(")")
    if end < 0:
        return None
    fields = text[end + 1 :].split()
    # After the name: state is field 3 of the file, starttime field 22.
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return ProcStat(state=fields[0], start_time=int(fields[19]))


def read_proc_stat(pid: int) -> ProcStat | None:
    try:
        return parse_proc_stat(Path(f"/proc/{pid}/stat").read_text())
    except OSError:
        return None


def read_cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def is_alive(pid: int) -> bool:
    """Whether ``pid`` runs; reaps it first if it is an exited child of ours."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    stat = read_proc_stat(pid)
    return stat is not None and stat.state not in ("Z", "X")


def owned_pid(pid_file: Path, markers: Sequence[str]) -> int | None:
    """The live pid recorded in ``pid_file`` if its command line carries ``markers``."""
    try:
        pid = parse_pid(pid_file.read_text())
    except OSError:
        return None
    if pid is None or not is_alive(pid):
        return None
    return pid if cmdline_matches(read_cmdline(pid), markers) else None


def find_processes(markers: Sequence[str]) -> list[int]:
    """Every live process whose command line carries all ``markers``."""
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        if cmdline_matches(read_cmdline(pid), markers) and is_alive(pid):
            found.append(pid)
    return found


def _rotate(log: Path) -> None:
    with contextlib.suppress(OSError):
        if log.stat().st_size > LOG_ROTATE_BYTES:
            log.replace(log.with_name(log.name + ".1"))


def spawn(
    argv: Sequence[str],
    *,
    log: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, output appended to ``log``, pid in ``pid_file``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    _rotate(log)
    with log.open("ab") as out:
        out.write(
            f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(argv)}\n".encode()
        )
        out.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{proc.pid}\n")
    return proc


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited; whether it did within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _signal(pid: int, sig: signal.Signals, *, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def stop_pid(pid: int, *, timeout: float = 10.0, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Ask ``pid`` (and its group) to stop, kill it after ``timeout``; whether it went quietly.

    The stack's processes lead their own session, so the whole group is signalled:
    nothing a service forked is left behind.
    """
    group = _leads_group(pid)
    _signal(pid, sig, group=group)
    quiet = wait_gone(pid, timeout)
    # SIGKILL the leader if it is still there, and any member of its group left over.
    _signal(pid, signal.SIGKILL, group=group)
    if not quiet:
        wait_gone(pid, 5.0)
    return quiet


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file ('' if there is none)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])
