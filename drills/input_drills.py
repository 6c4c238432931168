"""Hostile input: thousands of fuzzed messages interleaved with valid commands on an agency's
inbound topic (each valid one stored exactly once, each bad one dead-lettered with a reason),
then the same lines through `rjb submit` (each bad line reported with its number)."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess

from drills.fuzz import interleaved
from drills.harness import Drill, audit, ensure_topics, inbound_topic
from drills.kafka_io import Message, Sender
from drills.platform import rjb, serve_env
from drills.process_drills import fleet, leading
from drills.verdict import store_log
from services.bootstrap import build

OUTCOME = re.compile(rb"^line (\d+): (ok|rejected)(.*)$", re.MULTILINE)


def fuzzed(drill: Drill) -> list[Message]:
    """The same messages for both drills: generated from the seed and the name "fuzz"."""
    rng = random.Random(f"{drill.seed}:fuzz")
    return interleaved(f"fuzz-{drill.seed}", drill.size.fuzz_bad, drill.size.fuzz_cases, rng)


async def fuzz(drill: Drill) -> None:
    settings = drill.site.settings()
    topic = inbound_topic(settings)
    messages = fuzzed(drill)
    backbone = build(settings)
    try:
        await ensure_topics(backbone)
        with fleet(drill, settings) as ships:
            await leading(ships)
            async with Sender(settings.kafka_bootstrap_servers, topic) as sender:
                for i in range(0, len(messages), 100):
                    await sender.send(messages[i : i + 100])
            await audit(drill, backbone, sender.sent, topic, timeout=600)
            ships.check()
    finally:
        backbone.close()


async def submit(drill: Drill) -> None:
    """The fuzz drill's messages as JSON lines (those whose only fault is a header are left
    out: a line has no headers) through `rjb submit`."""
    lines = [m for m in fuzzed(drill) if m.kind != "rjb_agency header"]
    file = drill.site.workdir / f"{drill.tag}.jsonl"
    file.write_bytes(b"\n".join(m.value for m in lines) + b"\n")
    settings = drill.site.settings()
    run = await asyncio.to_thread(
        subprocess.run,
        [rjb(), "submit", str(file)],
        env=serve_env(settings),
        cwd=drill.site.workdir,
        capture_output=True,
        timeout=600,
        check=False,
    )
    (drill.site.workdir / f"{drill.tag}.out").write_bytes(run.stdout + run.stderr)
    if run.returncode not in (0, 1) or b"Traceback" in run.stderr:
        drill.row.fail(f"crash: rjb submit exited {run.returncode}: {run.stderr[-800:]!r}")
    said = {int(n): (what, why) for n, what, why in OUTCOME.findall(run.stdout)}
    backbone = build(settings)
    try:
        log = store_log(backbone)
    finally:
        backbone.close()
    row = drill.row
    row.sent = len(lines)
    for number, m in enumerate(lines, start=1):
        what, why = said.get(number, (None, b""))
        stored = log.per_command.get(m.command_id or "", 0) if m.command_id else 0
        if what is None:
            row.lost += 1
            row.fail(f"line {number} ({m.kind}) not reported")
        elif m.kind == "valid" and what == b"ok" and stored == 1:
            row.applied += 1
        elif m.kind == "valid":
            row.fail(f"line {number} (valid) {what.decode()}{why[:200].decode(errors='replace')}")
        elif what == b"rejected" and why.strip(b": "):
            row.dead_lettered += 1
        else:
            row.fail(f"line {number} ({m.kind}) {what.decode()} without a reason or stored")
