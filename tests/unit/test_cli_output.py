"""What ``--json`` and ``--csv`` print: CSV safe for spreadsheets, dead letters as rows."""

from __future__ import annotations

import csv
import io

import pytest
from rich.console import Console
from rich.table import Table

from services.cli.dlq_render import DLQ_COLUMNS, listed_rows
from services.cli.output import add_row, emit_csv, safe_cell
from services.dead_letter_view import Listed
from tests.unit.test_dead_letter_view import NOW, letter


def test_cells_a_spreadsheet_would_run_get_a_quote_and_numbers_do_not() -> None:
    for formula in ("=1+1", "+44", "-x", "@SUM(A1)", "\t=1"):
        assert safe_cell(formula) == "'" + formula
    assert safe_cell(-3) == "-3" and safe_cell(2.5) == "2.5" and safe_cell(None) == ""
    assert safe_cell({"a": [1]}) == '{"a":[1]}' and safe_cell("plain") == "plain"


def test_csv_has_a_header_row_even_when_empty(capsys: pytest.CaptureFixture[str]) -> None:
    emit_csv([], ["a", "b"])
    emit_csv([{"a": "=cmd", "b": None}], ["a", "b"])
    out = capsys.readouterr().out
    assert out == "a,b\na,b\n'=cmd,\n"


def test_table_cells_are_text_not_markup() -> None:
    console = Console(width=120, record=True)
    table = Table("x")
    add_row(table, "a [/] b [bold]c[/bold] [link=x]d")
    console.print(table)
    assert "a [/] b [bold]c[/bold] [link=x]d" in console.export_text()


def test_dead_letters_as_rows() -> None:
    dead = letter(b"{}", ("rjb_dlq_reason", b"=bad [/]"))
    rows = listed_rows([Listed(dead)], NOW)
    assert rows[0]["id"] == str(dead.id)
    assert rows[0]["age_seconds"] == 3 * 3600 and rows[0]["status"] == "waiting"
    assert rows[0]["error"] == "ValidationError" and list(rows[0]) == DLQ_COLUMNS
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(rows[0][c]) for c in DLQ_COLUMNS])
    assert "'=bad [/]" in buffer.getvalue()
