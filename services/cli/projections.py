"""``rjb projections status | update | rebuild``: the read models' place in the notification log.

Every query command (``rjb moves``, ``delays``, ``agreements``, ``performance``: their own
modules) first brings its projection up to date with the log, so what it shows is current.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from projections.runner import UnknownProjection
from services.bootstrap import Backbone
from services.cli.output import AsJson, emit_json, make_console
from services.cli.query_args import backbone

projections_app = typer.Typer(no_args_is_help=True, help="Read models: status, update, rebuild")
console = make_console()
One = Annotated[str | None, typer.Argument(help="One projection")]


@projections_app.command("status")
def status(as_json: AsJson = False) -> None:
    """Each projection's position in the notification log."""
    with backbone() as bb:
        found = bb.projections.status()
    if as_json:
        emit_json(
            [
                {
                    "name": s.name,
                    "version": s.version,
                    "position": s.position,
                    "log_end": s.log_end,
                    "behind": max(0, s.log_end - s.position),
                }
                for s in found
            ]
        )
        return
    table = Table("projection", "version", "position", "log end", "behind")
    for s in found:
        behind = "up to date" if s.position >= s.log_end else f"≤ {s.log_end - s.position}"
        table.add_row(s.name, str(s.version), str(s.position), str(s.log_end), behind)
    console.print(table)


@projections_app.command("update")
def update(name: One = None) -> None:
    """Apply the events not yet applied."""
    with backbone() as bb:
        applied = _run(bb, name, rebuild=False)
    console.print(f"{applied} events applied")


@projections_app.command("rebuild")
def rebuild(name: One = None) -> None:
    """Drop a projection's views (or every projection's) and replay the whole log into them."""
    with backbone() as bb:
        applied = _run(bb, name, rebuild=True)
    console.print(f"rebuilt from {applied} events")


def _run(bb: Backbone, name: str | None, *, rebuild: bool) -> int:
    runner = bb.projections
    try:
        names = [runner.get(name).name] if name else sorted(runner.projections)
    except UnknownProjection as e:
        console.print(str(e), style="red", markup=False)
        raise typer.Exit(code=1) from None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        # all of them in one pass over the log: each event is read and decoded once
        task = progress.add_task(", ".join(names), total=None)

        def advance(reached: int, end: int) -> None:
            progress.update(task, completed=reached, total=end)

        go = runner.rebuild if rebuild else runner.catch_up
        return go(name, advance)
