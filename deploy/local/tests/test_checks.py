from pathlib import Path

from sawt_stack.checks import (
    Step,
    StepResult,
    check_steps,
    mypy_path,
    mypy_targets,
    render_summary,
    step_passed,
)


def test_no_tests_collected_fails_only_a_full_run() -> None:
    full, narrowed = (check_steps(Path("/r"), "py", args)[-1] for args in ([], ["-k", "x"]))

    assert not step_passed(full, 5)
    assert step_passed(narrowed, 5)
    assert step_passed(full, 0)
    assert not step_passed(narrowed, 1)


def test_steps_run_ruff_mypy_then_pytest_with_the_args(tmp_path: Path) -> None:
    steps = check_steps(tmp_path, "py", ["-x", "tests/a.py"])

    assert [s.name for s in steps] == ["ruff check", "mypy", "pytest"]
    assert steps[0].argv == ("py", "-m", "ruff", "check", ".")
    assert steps[2].argv == ("py", "-m", "pytest", "-x", "tests/a.py")


def test_mypy_checks_what_exists(tmp_path: Path) -> None:
    for folder in ("shared/src/s", "services/b/src/b", "services/a/src/a", "tests", "bench"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text("")
    (tmp_path / "deploy/local/src").mkdir(parents=True)  # no Python in it

    assert mypy_targets(tmp_path) == [
        "shared/src",
        "services/a/src",
        "services/b/src",
        "tests",
        "bench",
    ]
    assert mypy_path(tmp_path) == "shared/src:services/a/src:services/b/src"


def test_summary_names_the_failures() -> None:
    results = [
        StepResult(Step("ruff check", ("ruff",)), 0, 0.5),
        StepResult(Step("pytest", ("pytest",)), 1, 12.0),
    ]

    summary = render_summary(results)

    assert "ruff check  ok" in summary
    assert "pytest      FAILED" in summary
    assert summary.endswith("result: FAILED (pytest)")
