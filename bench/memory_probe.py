"""Resident memory of this process, and where Python allocations grew (for ``bench_memory``)."""

from __future__ import annotations

import resource
import tracemalloc
from pathlib import Path

STATUS = Path("/proc/self/status")


def rss_mib() -> tuple[float, float]:
    """(current RSS, peak RSS) in MiB: VmRSS and VmHWM on Linux, else the peak twice."""
    if STATUS.exists():
        fields = dict(line.split(":", 1) for line in STATUS.read_text().splitlines() if ":" in line)
        kib = [int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")]
        return kib[0] / 1024, kib[1] / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


class Growth:
    """tracemalloc snapshots: what was allocated and still held since :meth:`start`."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.first: tracemalloc.Snapshot | None = None

    def start(self) -> None:
        if self.enabled:
            tracemalloc.start(8)
            self.first = tracemalloc.take_snapshot()

    def report(self, top: int = 12) -> None:
        if self.first is None:
            return
        diff = tracemalloc.take_snapshot().compare_to(self.first, "traceback")
        print(f"  tracemalloc: top {top} allocation sites still held, growth since the start:")
        for stat in diff[:top]:
            frames = " <- ".join(
                f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[::-1][:4]
            )
            print(f"    {stat.size_diff / 1024:+10.0f} KiB {stat.count_diff:+8d} blocks  {frames}")
        tracemalloc.stop()
