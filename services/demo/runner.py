"""Runs story scripts through the command service, as the agencies would, step by step."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.hmpps import PrisonMovementMessage
from services.command_apply import CommandResult
from services.command_service import CommandService
from services.commands import Command, parse_command
from services.demo.script import Script
from services.demo.stories import STORIES, sharing_agreements


def step_to_command(kind: str, payload: dict[str, Any]) -> Command:
    """A story step as the backbone receives it: a command, or an HMPPS movement message."""
    if kind == "movement":
        return parse_command(PrisonMovementMessage.model_validate(payload).to_command())
    return parse_command(payload)


@dataclass
class StoryRun:
    script: Script
    results: list[CommandResult] = field(default_factory=list)


def run_script(commands: CommandService, script: Script) -> StoryRun:
    run = StoryRun(script)
    for kind, payload in script.steps():
        run.results.append(commands.handle(step_to_command(kind, payload)))
    return run


def all_scripts() -> list[Script]:
    return [sharing_agreements(), *(story() for story in STORIES)]


def run_all(
    commands: CommandService,
    scripts: Iterable[Script] | None = None,
    on_story: Callable[[StoryRun], None] | None = None,
) -> list[StoryRun]:
    runs = []
    for script in scripts if scripts is not None else all_scripts():
        run = run_script(commands, script)
        if on_story:
            on_story(run)
        runs.append(run)
    return runs
