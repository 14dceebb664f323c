"""The Temporal SDK's metrics on the process's own ``/metrics``.

The SDK core records its metrics (``temporal_workflow_completed``,
``temporal_activity_execution_failed``, ``temporal_workflow_task_schedule_to_start_latency``,
…) into a :class:`~temporalio.runtime.MetricBuffer`; this collector drains it and exposes the
totals in Prometheus' conventions (counters ``_total``, durations ``_seconds`` histograms), so
the worker needs no second port. Label sets differ between updates of one metric (the core
adds ``task_queue`` or ``status_code`` only where it knows them), which a custom collector
allows and ``prometheus_client``'s fixed-label metrics do not.
"""

import asyncio
import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    LoggingConfig,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)

BUFFER_SIZE = 200_000
"""Updates held between drains; drained every second, a burst stays far below it."""
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    total: float = 0.0

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(BUCKETS, value)
        if index < len(BUCKETS):
            self.buckets[index] += 1
        self.count += 1
        self.total += value


@dataclass
class _Family:
    kind: str
    description: str
    values: dict[Labels, float] = field(default_factory=dict)
    histograms: dict[Labels, _Histogram] = field(default_factory=dict)


class TemporalSdkMetrics(Collector):
    """Register it once per process, give :meth:`runtime` to the Temporal clients, and keep
    :meth:`drain_forever` running (``/metrics`` also drains before answering)."""

    def __init__(self, buffer_size: int = BUFFER_SIZE) -> None:
        self.buffer = MetricBuffer(buffer_size, MetricBufferDurationFormat.SECONDS)
        self._families: dict[str, _Family] = {}
        self._runtime: Runtime | None = None

    def runtime(self, logging: LoggingConfig | None = LoggingConfig.default) -> Runtime:
        """The runtime recording into this collector's buffer (one per collector)."""
        if self._runtime is None:
            self._runtime = Runtime(telemetry=TelemetryConfig(logging=logging, metrics=self.buffer))
        return self._runtime

    def drain(self) -> None:
        if self._runtime is None:
            return  # nothing records yet (the registry asks for names at registration)
        for update in self.buffer.retrieve_updates():
            metric = update.metric
            labels: Labels = tuple(sorted((k, str(v)) for k, v in update.attributes.items()))
            if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
                family = self._family(f"{metric.name}_total", "counter", metric.description)
                family.values[labels] = family.values.get(labels, 0.0) + update.value
            elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
                family = self._family(metric.name, "gauge", metric.description)
                family.values[labels] = float(update.value)
            else:
                name = f"{metric.name}_seconds" if metric.unit == "s" else metric.name
                family = self._family(name, "histogram", metric.description)
                family.histograms.setdefault(labels, _Histogram()).observe(float(update.value))

    async def drain_forever(self, interval_seconds: float = 1.0) -> None:
        while True:
            self.drain()
            await asyncio.sleep(interval_seconds)

    def collect(self) -> Iterator[Metric]:
        self.drain()
        for name, family in sorted(self._families.items()):
            # A counter family's name is given without ``_total``, which its samples carry.
            base = name.removesuffix("_total") if family.kind == "counter" else name
            metric = Metric(base, family.description or name, family.kind)
            for labels, value in family.values.items():
                metric.add_sample(name, dict(labels), value)
            for labels, histogram in family.histograms.items():
                cumulative = 0
                for bound, count in zip(BUCKETS, histogram.buckets, strict=True):
                    cumulative += count
                    metric.add_sample(
                        f"{name}_bucket", {**dict(labels), "le": str(bound)}, cumulative
                    )
                metric.add_sample(f"{name}_bucket", {**dict(labels), "le": "+Inf"}, histogram.count)
                metric.add_sample(f"{name}_count", dict(labels), histogram.count)
                metric.add_sample(f"{name}_sum", dict(labels), histogram.total)
            yield metric

    def _family(self, name: str, kind: str, description: str | None) -> _Family:
        family = self._families.get(name)
        if family is None:
            family = self._families[name] = _Family(kind, description or "")
        return family
