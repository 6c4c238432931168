"""Dead letters on the terminal. All their text came from outside, so it goes to Rich as
:class:`rich.text.Text` (never parsed as markup), with control characters made visible."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text

from services.cli.output import make_console
from services.dead_letter_view import Listed, header_text, printable, show_bytes
from services.dlq import Outcome

console = make_console()
REASON_WIDTH = 160
VALUE_SHOWN = 64 * 1024


def age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status(item: Listed) -> str:
    if item.last is None:
        return "waiting"
    when = item.last.acted_at.isoformat(timespec="seconds")
    return f"{item.last.action.value} by {item.last.actor} at {when}"


DLQ_COLUMNS = [
    "id",
    "dead_lettered_at",
    "age_seconds",
    "source_topic",
    "error",
    "reason",
    "original_size",
    "truncated",
    "status",
]


def listed_rows(listed: list[Listed], now: datetime) -> list[dict[str, object]]:
    """``rjb dlq list --json``/``--csv``: one object per letter (text as stored, unprinted)."""
    return [
        {
            "id": str(item.letter.id),
            "dead_lettered_at": item.letter.timestamp,
            "age_seconds": round(item.letter.age_seconds(now)),
            "source_topic": item.letter.source_topic,
            "error": item.letter.error,
            "reason": item.letter.reason,
            "original_size": item.letter.original_size,
            "truncated": item.letter.truncated,
            "status": status(item),
        }
        for item in listed
    ]


def render_list(listed: list[Listed], now: datetime, with_status: bool) -> None:
    if not listed:
        console.print("no dead letters" + ("" if with_status else " waiting"))
        return
    table = Table("id", "age", "source topic", "error", "reason", "size")
    if with_status:
        table.add_column("status")
    for item in listed:
        letter = item.letter
        size = f"{letter.original_size}" + (" (cut)" if letter.truncated else "")
        reason = cut(printable(letter.reason), REASON_WIDTH)
        row = [
            str(letter.id),
            age(letter.age_seconds(now)),
            printable(letter.source_topic),
            printable(letter.error),
            reason,
            size,
        ]
        if with_status:
            row.append(printable(status(item)))
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    console.print(Text(f"{len(listed)} dead letter(s)"))


def render_letter(item: Listed, now: datetime) -> None:
    letter = item.letter
    lines = [
        ("id", f"{letter.id} on {letter.id.topic}"),
        (
            "dead-lettered",
            f"{letter.timestamp.isoformat(timespec='seconds')} "
            f"({age(letter.age_seconds(now))} ago)",
        ),
        ("from", letter.source),
        ("error", letter.error),
        ("reason", letter.reason),
        ("original size", f"{letter.original_size} bytes"),
        ("status", status(item)),
    ]
    if letter.sealed_under:
        lines.append(
            (
                "sealed",
                f"under {letter.sealed_under}: "
                + (
                    "opened for this read (logged)"
                    if letter.opened
                    else "that key was destroyed after the retention; the content is gone"
                ),
            )
        )
    for name, value in lines:
        console.print(Text.assemble((f"{name}: ", "bold"), printable(value)))
    if letter.truncated:
        console.print(
            Text(
                f"TRUNCATED ({', '.join(letter.truncated)}): the value below is the first "
                f"{len(letter.value)} of {letter.original_size} bytes; it cannot be retried",
                style="bold red",
            )
        )
    headers = Table("header", "value", title="headers")
    for name, raw in letter.headers:
        headers.add_row(Text(printable(name)), Text(header_text(raw)))
    console.print(headers)
    console.print(Text.assemble(("key: ", "bold"), header_text(letter.key)))
    kind, text = show_bytes(letter.value, VALUE_SHOWN)
    shown = min(len(letter.value), VALUE_SHOWN)
    console.print(Text(f"value ({kind}, {shown} of {len(letter.value)} bytes shown):", "bold"))
    console.print(Text(text), soft_wrap=True)
    for row in item.history:
        when = row.acted_at.isoformat(timespec="seconds")
        said = f"{row.action.value} by {row.actor} at {when}: {row.reason} {row.detail}".strip()
        console.print(Text(printable(said)))


def render_outcomes(outcomes: list[Outcome]) -> None:
    if not outcomes:
        console.print("no dead letters matched")
    for outcome in outcomes:
        mark = ("done", "green") if outcome.done else ("refused", "red")
        console.print(Text.assemble(f"{outcome.letter}: ", mark, f": {printable(outcome.detail)}"))
