"""``rjb privacy rotate-master-key``: re-wrap every personal-data key under the incoming master
key, with a progress bar; by an administrator, with a reason, in the read log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from adapters.key_wrap import MasterKeyError
from services.bootstrap import build
from services.cli.identity import TokenFile, with_role
from services.identity import Role
from services.key_rotation import MasterKeyRotation

console = Console()


def rotate_master_key(
    reason: Annotated[str, typer.Option(help="Why (e.g. the change reference)")],
    batch_size: Annotated[int, typer.Option(min=1, help="Keys re-wrapped per transaction")] = 500,
    token_file: TokenFile = None,
) -> None:
    """Re-wrap every key under RJB_PERSONAL_DATA_MASTER_KEY_NEW (the current key stays set).

    Resumable: run it again after a crash or Ctrl-C and it goes on where it stopped. When it
    says done, make the new key RJB_PERSONAL_DATA_MASTER_KEY and remove the old one."""
    if not reason.strip():
        typer.echo("a master key rotation needs a --reason (recorded with who ran it)", err=True)
        raise typer.Exit(code=2)
    try:
        backbone = build()
    except MasterKeyError as problem:
        typer.echo(f"cannot rotate: {problem}", err=True)
        raise typer.Exit(code=1) from None
    try:
        who = with_role(backbone, token_file, Role.ADMINISTRATOR, "master key rotation")
        try:
            rotation = MasterKeyRotation(backbone.store, batch_size)
        except MasterKeyError as problem:
            typer.echo(f"cannot rotate: {problem}", err=True)
            raise typer.Exit(code=1) from None
        before = rotation.counts()
        backbone.audit(who.reader, reason).log_read(
            "privacy rotate-master-key", rotation.incoming.id
        )
        columns = (
            TextColumn("re-wrapping keys"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("rotate", total=rotation.pending())
            done = rotation.run(lambda n, total: bar.update(task, completed=n, total=total))
    finally:
        backbone.close()
    was = ", ".join(f"{mk or '(before key ids)'}: {n}" for mk, n in sorted(before.items(), key=str))
    console.print(Text(f"keys before: {was or 'none'}"))
    console.print(
        Text(
            f"done: {done.rewrapped} key(s) re-wrapped under {done.master_key_id} in "
            f"{done.batches} batch(es)"
            + (f", {done.skipped} erased meanwhile (left destroyed)" if done.skipped else "")
            + "; every key is now under the new master key: set it as "
            "RJB_PERSONAL_DATA_MASTER_KEY, unset RJB_PERSONAL_DATA_MASTER_KEY_NEW, and restart"
        )
    )
