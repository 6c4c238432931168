"""Rich rendering of cases and timelines for the terminal (stored text as text, never markup)."""

from __future__ import annotations

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from domain.case.aggregate import Case
from services.case_queries import TimelineEntry, case_summary
from services.cli.output import add_row


def _short(details: object, width: int = 110) -> str:
    text = details if isinstance(details, str) else orjson.dumps(details).decode()
    return text if len(text) <= width else text[: width - 1] + "…"


def render_case(console: Console, case: Case, title: str = "") -> None:
    summary = case_summary(case)
    table = Table(title=Text(title or f"Case {case.id}"), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in summary.items():
        if key == "participants":
            assert isinstance(value, dict)
            for pid, info in value.items():
                add_row(table, f"participant {pid}", _short(info))
        else:
            add_row(table, key, _short(value))
    console.print(table)


def render_timeline(console: Console, entries: list[TimelineEntry]) -> None:
    table = Table(title="Timeline", title_justify="left")
    for column in ("v", "occurred", "recorded", "agency", "event"):
        table.add_column(column)
    table.add_column("details", overflow="fold")
    for e in entries:
        add_row(
            table,
            str(e.version),
            f"{e.occurred_at:%Y-%m-%d %H:%M}",
            f"{e.recorded_at:%Y-%m-%d %H:%M:%S}",
            e.agency,
            e.event,
            _short(e.details, 10_000),
        )
    console.print(table)
