"""``sawt-stack``: the one-machine Sawt stack, without Docker (run it as ``./sawt``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from sawt_stack.config import StackConfig
from sawt_stack.paths import StackPaths, find_repo_root
from sawt_stack.stack import Stack

__all__ = ["app", "main"]

app = typer.Typer(
    name="sawt",
    help="Run Sawt on this machine: PostgreSQL, Kafka, topics, migrations, services, demo data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _stack() -> Stack:
    try:
        config = StackConfig.from_env(os.environ)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return Stack(StackPaths(find_repo_root()), config)


@app.command()
def up(
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Return once everything is ready.")
    ] = False,
    only_infra: Annotated[
        bool,
        typer.Option(
            "--only-infra", hidden=True, help="PostgreSQL, Kafka, databases and topics only."
        ),
    ] = False,
) -> None:
    """Bring everything up; in the foreground unless --detach (Ctrl-C stops it all)."""
    raise typer.Exit(_stack().up(detach=detach, only_infra=only_infra))


@app.command()
def down(
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Stop PostgreSQL and Kafka even while test runs still use them."
        ),
    ] = False,
) -> None:
    """Stop everything the stack started: services, Kafka, PostgreSQL."""
    raise typer.Exit(_stack().down(force=force))


@app.command()
def status() -> None:
    """Show what runs where."""
    raise typer.Exit(_stack().status())


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def test(ctx: typer.Context) -> None:
    """Run ruff, mypy and pytest (extra arguments go to pytest) against PostgreSQL and Kafka.

    Starts PostgreSQL and Kafka if they are not running (and stops them afterwards),
    never the services, never touching the dev databases.
    """
    raise typer.Exit(_stack().test(list(ctx.args)))


def main() -> None:
    app(prog_name="sawt")
