"""The development SMTP server: the notifications service's ``devmail`` (aiosmtpd).

It keeps every message it receives as one file in ``.stack/mail/new`` (a Maildir),
so a developer reads what Sawt sent without any real mail leaving the machine.
"""

from __future__ import annotations

import subprocess
import sys
import time

from sawt_stack.config import HOST, StackConfig
from sawt_stack.paths import StackPaths
from sawt_stack.ports import port_answers
from sawt_stack.processes import owned_pid, spawn, stop_pid, tail

__all__ = ["DevMail", "DevMailError"]

NAME = "devmail"


class DevMailError(RuntimeError):
    """The mail server did not start; the message says why."""


class DevMail:
    def __init__(self, paths: StackPaths, config: StackConfig) -> None:
        self.paths = paths
        self.config = config

    @property
    def maildir(self) -> str:
        return str(self.paths.mail)

    @property
    def log(self) -> str:
        return str(self.paths.log(NAME))

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "notifications.devmail",
            "--host",
            HOST,
            "--port",
            str(self.config.mail_port),
            "--maildir",
            self.maildir,
        ]

    def running_pid(self) -> int | None:
        return owned_pid(self.paths.pid_file(NAME), ["notifications.devmail", self.maildir])

    def start(self, *, deadline: float = 20.0) -> subprocess.Popen[bytes] | None:
        """Start the server unless it runs (then ``None``); wait until it accepts connections."""
        if self.running_pid() is not None:
            return None
        if port_answers(self.config.mail_port):
            raise DevMailError(
                f"port {self.config.mail_port} for the mail server is taken by another "
                "program; stop it or choose another port with SAWT_MAIL_PORT"
            )
        proc = spawn(
            self.argv(),
            log=self.paths.log(NAME),
            pid_file=self.paths.pid_file(NAME),
            cwd=self.paths.root,
        )
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if proc.poll() is not None:
                raise DevMailError(f"the mail server exited:\n{tail(self.paths.log(NAME))}")
            if port_answers(self.config.mail_port):
                return proc
            time.sleep(0.1)
        raise DevMailError(f"the mail server did not listen within {deadline:.0f} s")

    def stop(self) -> bool:
        pid = self.running_pid()
        if pid is not None:
            stop_pid(pid, timeout=10)
        self.paths.pid_file(NAME).unlink(missing_ok=True)
        return pid is not None
