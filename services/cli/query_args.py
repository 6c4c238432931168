"""What the read-model commands (``moves``, ``delays``, ``agreements``, ``performance``) share:
the backbone for one command, and their arguments checked against the reference data, each bad
one a one-line usage error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer

from domain.reference import load_reference_data
from projections.clock import Clock, fixed_clock, system_clock
from services.bootstrap import Backbone, build
from services.cli.output import error


@contextmanager
def backbone() -> Iterator[Backbone]:
    opened = build()
    try:
        yield opened
    finally:
        opened.close()


def yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def known_prison(code: str) -> str:
    upper = code.upper()
    if upper not in load_reference_data().prisons:
        raise error(f"unknown prison code {code!r} (a three-letter code, e.g. LEI for HMP Leeds)")
    return upper


def known_area(area: str) -> str:
    code = area.strip().lower().replace(" ", "-")
    if code not in load_reference_data().pcc_areas:
        raise error(f"unknown PCC area {area!r} (a code such as kent or west-yorkshire)")
    return code


def clock(now: datetime | None) -> Clock:
    return fixed_clock(now) if now else system_clock


def instant(value: str | None, option: str) -> datetime | None:
    """An ISO date or instant (UTC when no zone is given); a bad one is a usage error."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{option} {value!r} is not an ISO date or instant, e.g. 2025-03-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


NowOption = Annotated[
    str | None,
    typer.Option("--now", "--at", help="As at this date or instant (default: now)"),
]
