"""The steps of ``./sawt test``: lint, type-check, then pytest; and their verdicts."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PYTEST_NO_TESTS",
    "Step",
    "StepResult",
    "check_steps",
    "mypy_path",
    "mypy_targets",
    "render_summary",
    "run_step",
    "step_passed",
]

#: pytest's exit code when it collected no test.
PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class Step:
    name: str
    argv: tuple[str, ...]
    #: pytest collecting nothing is fine when the caller chose what to run.
    allow_no_tests: bool = False


@dataclass(frozen=True)
class StepResult:
    step: Step
    returncode: int
    seconds: float

    @property
    def passed(self) -> bool:
        return step_passed(self.step, self.returncode)


def step_passed(step: Step, returncode: int) -> bool:
    """0 passes; pytest's 5 (nothing collected) passes only when arguments narrowed the run."""
    return returncode == 0 or (step.allow_no_tests and returncode == PYTEST_NO_TESTS)


def _has_python(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.py"))


def source_roots(root: Path) -> list[Path]:
    """The ``src`` folders of the workspace's packages that exist."""
    candidates = [root / "shared" / "src", *sorted(root.glob("services/*/src"))]
    candidates.append(root / "deploy" / "local" / "src")
    return [p for p in candidates if _has_python(p)]


def mypy_targets(root: Path) -> list[str]:
    """What mypy checks: every package's sources, the stack's tests, top-level tests, bench."""
    extra = [root / "deploy" / "local" / "tests", root / "tests", root / "bench"]
    return [str(p.relative_to(root)) for p in [*source_roots(root), *extra] if _has_python(p)]


def mypy_path(root: Path) -> str:
    """``MYPYPATH`` naming the ``src`` folders, so each file maps to its import name."""
    return ":".join(str(p.relative_to(root)) for p in source_roots(root))


def check_steps(root: Path, python: str, pytest_args: Sequence[str]) -> list[Step]:
    """The steps in order: ``ruff check``, ``mypy``, ``pytest``."""
    return [
        Step("ruff check", (python, "-m", "ruff", "check", ".")),
        Step("mypy", (python, "-m", "mypy", *mypy_targets(root))),
        Step(
            "pytest",
            (python, "-m", "pytest", *pytest_args),
            allow_no_tests=bool(pytest_args),
        ),
    ]


def run_step(step: Step, *, cwd: Path, env: Mapping[str, str]) -> StepResult:
    started = time.monotonic()
    try:
        code = subprocess.run(list(step.argv), cwd=cwd, env=dict(env), check=False).returncode
    except OSError as exc:
        print(f"{step.name}: {exc}")
        code = 127
    return StepResult(step, code, time.monotonic() - started)


def render_summary(results: Sequence[StepResult]) -> str:
    """A small table of each step's verdict, exit code and duration."""
    width = max((len(r.step.name) for r in results), default=4)
    lines = ["", "summary of ./sawt test:"]
    for r in results:
        verdict = "ok" if r.passed else "FAILED"
        lines.append(
            f"  {r.step.name:<{width}}  {verdict:<6}  exit {r.returncode:<3}  {r.seconds:6.1f} s"
        )
    failed = [r.step.name for r in results if not r.passed]
    lines.append(f"result: {'FAILED (' + ', '.join(failed) + ')' if failed else 'all passed'}")
    return "\n".join(lines)
