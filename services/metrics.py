"""``/metrics`` in the Prometheus text format (prometheus-client), one registry per app.

Each scrape gathers :class:`Figures` (cheap: memory, the cached store check, one read of the
projections' tracking rows, the Kafka watch's last look) and renders them; the counters are the
running parts' own, since the process started. A registry per app, not the global one, so
several backbones (and tests) in one process do not clash.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.health import FAILING, NOT_RUNNING, HealthSources
from services.health_figures import Figures, gather

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HELP = {
    "rjb_ready": "1 when /health/ready answers 200",
    "rjb_health_check_ok": "1 per passing check, 0 per failing one (parts not run here: none)",
    "rjb_store_log_head": "Last notification id in the store's log",
    "rjb_commands_stored": "Commands that stored events, all transports; rate() is per second",
    "rjb_commands_duplicate": "Commands found already applied (a redelivery or a repeat)",
    "rjb_relay_leader": "1 while this process holds the relay leader lock (only the leader "
    "reports relay figures)",
    "rjb_relay_lag_notifications": "Notifications in the store not yet published: log head "
    "minus relay position",
    "rjb_relay_position": "Last notification id the relay published",
    "rjb_relay_republishes": "Times the relay started again on a broker that lost data or on "
    "another cluster",
    "rjb_inbound_dead_letters": "Inbound messages dead-lettered",
    "rjb_inbound_impersonations": "Commands naming another agency than their topic's owner "
    "(dead-lettered)",
    "rjb_inbound_transient_failures": "Failed attempts to store or dead-letter a message (the "
    "store or the dead-letter topic unreachable), retried",
    "rjb_inbound_partition_pauses": "Times an inbound partition was paused",
    "rjb_inbound_paused_partitions": "Inbound partitions paused now",
    "rjb_inbound_failing_partitions": "Inbound partitions whose message is retried or paused now",
    "rjb_inbound_consumer_lag_messages": "End offset minus the consumer group's committed offset, "
    "sampled in the background",
    "rjb_inbound_consumer_lag_sampled_timestamp_seconds": "When the consumer lag was sampled",
    "rjb_projection_lag_notifications": "Log head minus the projection's tracked position",
    "rjb_dead_letters_waiting": "Dead letters not yet retried or purged (rjb dlq), counted "
    "in the background",
    "rjb_dead_letter_oldest_age_seconds": "Age of the oldest dead letter not dealt with (0: none)",
}


def gauge(name: str, value: float) -> Metric:
    return GaugeMetricFamily(name, HELP[name], value=value)


def counter(name: str, value: float) -> Metric:
    return CounterMetricFamily(name, HELP[name], value=value)


class BackboneCollector(Collector):
    """Renders the figures of the scrape in progress."""

    def __init__(self) -> None:
        self.figures: Figures | None = None

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        if f is None:
            return
        yield gauge("rjb_ready", f.ready)
        checks = GaugeMetricFamily(
            "rjb_health_check_ok", HELP["rjb_health_check_ok"], labels=["check"]
        )
        for c in f.checks:
            if c.status != NOT_RUNNING:
                checks.add_metric([c.name], c.status != FAILING)
        yield checks
        if f.log_head is not None:
            yield gauge("rjb_store_log_head", f.log_head)
        yield counter("rjb_commands_stored", f.commands_stored)
        yield counter("rjb_commands_duplicate", f.commands_duplicate)
        yield from self.relays(f)
        yield from self.inbound(f)
        name = "rjb_projection_lag_notifications"
        lag = GaugeMetricFamily(name, HELP[name], labels=["projection"])
        for projection, position in f.projections.items():
            if (behind := f.lag(position)) is not None:
                lag.add_metric([projection], behind)
        yield lag
        if f.dead_letters_waiting is not None and f.dead_letter_age is not None:
            yield gauge("rjb_dead_letters_waiting", f.dead_letters_waiting)
            yield gauge("rjb_dead_letter_oldest_age_seconds", f.dead_letter_age)

    @staticmethod
    def relays(f: Figures) -> Iterator[Metric]:
        if f.leader is None:
            return
        yield gauge("rjb_relay_leader", f.leader)
        lag, position = (
            GaugeMetricFamily(n, HELP[n], labels=["relay"])
            for n in ("rjb_relay_lag_notifications", "rjb_relay_position")
        )
        name = "rjb_relay_republishes"
        again = CounterMetricFamily(name, HELP[name], labels=["relay"])
        for r in f.relays:
            if (behind := f.lag(r.position)) is not None:
                lag.add_metric([r.name], behind)
            position.add_metric([r.name], r.position)
            again.add_metric([r.name], r.republished)
        yield from (lag, position, again)

    @staticmethod
    def inbound(f: Figures) -> Iterator[Metric]:
        h = f.health
        if h is None:
            return
        yield counter("rjb_inbound_dead_letters", h.dead_letters)
        yield counter("rjb_inbound_impersonations", h.impersonations)
        yield counter("rjb_inbound_transient_failures", h.transient_failures)
        yield counter("rjb_inbound_partition_pauses", h.pauses)
        yield gauge("rjb_inbound_paused_partitions", len(h.paused_partitions))
        yield gauge("rjb_inbound_failing_partitions", len(h.troubles))
        name = "rjb_inbound_consumer_lag_messages"
        lag = GaugeMetricFamily(name, HELP[name], labels=["topic", "partition"])
        for (topic, partition), behind in sorted(f.consumer_lag.items()):
            lag.add_metric([topic, str(partition)], behind)
        yield lag
        if f.consumer_lag_at is not None:
            yield gauge("rjb_inbound_consumer_lag_sampled_timestamp_seconds", f.consumer_lag_at)


class Metrics:
    """The app's registry: the backbone's figures and the process's own (CPU, memory, fds)."""

    def __init__(self, sources: HealthSources) -> None:
        self.sources = sources
        self.registry = CollectorRegistry()
        self.collector = BackboneCollector()
        self.registry.register(self.collector)
        ProcessCollector(registry=self.registry)

    async def render(self) -> bytes:
        self.collector.figures = await gather(self.sources)
        return generate_latest(self.registry)
