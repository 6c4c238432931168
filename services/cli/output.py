"""What every ``rjb`` query prints: Rich tables for terminals, ``--json`` and ``--csv`` for scripts.

Stored and user text is always data, never Rich markup: table cells and messages built from it go
through :func:`cells` / :class:`rich.text.Text`, so agency text such as ``[/]`` or ``[bold]`` is
shown as typed. The console's width follows the terminal (see :func:`make_console`); ids are
given ``fold`` overflow so they are never cut short.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of tables (see the README)")]
AsCsv = Annotated[bool, typer.Option("--csv", help="CSV with a header row instead of tables")]

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


PIPE_WIDTH = 200  # a pipe or file has no width: tables are laid out this wide unless COLUMNS says


def make_console() -> Console:
    """A console whose width follows the terminal (resizing included), or ``COLUMNS``, or
    :data:`PIPE_WIDTH` when output is not a terminal (scripts should prefer ``--json``/``--csv``).

    Tables fit that width; lines of text are not wrapped (``soft_wrap``), so a message stays on
    one line for ``grep``."""
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS", "").isdigit()
    return Console(width=PIPE_WIDTH if piped else None, soft_wrap=True)


def text(value: object) -> Text:
    """A value as literal text (never parsed as markup); ``None`` as ``-``."""
    if isinstance(value, Text):
        return value
    return Text("-" if value is None else str(value))


def cells(*values: object) -> list[Text]:
    return [text(v) for v in values]


def add_row(table: Table, *values: object) -> None:
    table.add_row(*cells(*values))


def id_column(table: Table, header: str) -> None:
    """A column for ids: wide enough for a UUID and folded, never cut with an ellipsis."""
    table.add_column(header, overflow="fold", min_width=36)


def error(message: str) -> typer.Exit:
    """A one-line usage error on stderr; raise the returned exit (code 2)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def _default(value: object) -> object:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def emit_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2).decode())


def safe_cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = orjson.dumps(value, default=_default).decode()
    out = str(value)
    return "'" + out if out.startswith(FORMULA_LEADS) else out


def emit_csv(rows: Sequence[Mapping[str, object]], columns: Iterable[str] | None = None) -> None:
    """Rows as CSV with a header row (``columns``, or the first row's keys)."""
    header = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(row.get(key)) for key in header])
    typer.echo(buffer.getvalue(), nl=False)


def one_format(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        raise error("--json and --csv go one at a time")
