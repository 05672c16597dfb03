"""Progress and run statistics: items/s, cache hit rate and ETA, on the console and as metadata."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EmbedStats:
    """What one embedding run did. ``as_metadata`` gives plain values for Dagster metadata."""

    kind: str
    model_key: str
    rows: int = 0
    null_rows: int = 0
    distinct: int = 0
    cache_hits: int = 0
    encoded: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    oom_retries: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)

    @property
    def items_per_s(self) -> float:
        """Input rows handled per second (cached and deduplicated rows count too)."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def encoded_per_s(self) -> float:
        """Rows actually run through the model per second."""
        return self.encoded / self.seconds if self.seconds > 0 else 0.0

    @property
    def cache_hit_rate(self) -> float:
        """Share of distinct contents that were already in the cache."""
        return self.cache_hits / self.distinct if self.distinct else 0.0

    @property
    def dedup_rate(self) -> float:
        """Share of non-null rows that repeated a content seen earlier in the same run."""
        valid = self.rows - self.null_rows
        return 1.0 - self.distinct / valid if valid else 0.0

    def as_metadata(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            items_per_s=round(self.items_per_s, 2),
            encoded_per_s=round(self.encoded_per_s, 2),
            cache_hit_rate=round(self.cache_hit_rate, 4),
            dedup_rate=round(self.dedup_rate, 4),
            seconds=round(self.seconds, 3),
        )
        return out


class Progress:
    """Prints ``done/total, items/s, cache hit rate, ETA`` to stderr at most every ``every`` s."""

    def __init__(
        self, label: str, total: int, hits: int, distinct: int, enabled: bool, every: float = 2.0
    ):
        self.label, self.total, self.enabled, self.every = label, total, enabled, every
        self.hit_rate = hits / distinct if distinct else 0.0
        self.start = self.last = time.perf_counter()
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self.last >= self.every or self.done >= self.total):
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(
                f"[{self.label}] encoded {self.done}/{self.total} new, {rate:,.1f} items/s, "
                f"cache hit rate {self.hit_rate:.1%}, ETA {eta:,.0f}s",
                file=sys.stderr,
                flush=True,
            )
