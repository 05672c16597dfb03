"""Batch planning and the out-of-memory back-off shared by the encoders.

Texts are sorted by token length and cut into batches by a token budget (padded tokens per batch),
not by a fixed count: short texts go in large batches, long ones in small batches, and padding waste
stays low (a batch is also cut where the lengths drop by more than ``max_padding``). On a CUDA
out-of-memory error the batch is split in half and retried (recursively), and the budget for the
batches after it is halved too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch

from encoders.device import is_oom, release_memory

log = logging.getLogger(__name__)


def token_budget_batches(
    lengths: np.ndarray,
    token_budget: int,
    max_batch: int = 1024,
    *,
    max_padding: float = 0.1,
    min_batch: int = 32,
) -> list[np.ndarray]:
    """Indices into ``lengths`` grouped so that ``len(batch) * max(length) <= token_budget``.

    Longest texts first (their batches are the memory peak, so an OOM shows up at once). A batch
    also ends early, once it holds ``min_batch`` rows, before the first text shorter than
    ``(1 - max_padding)`` times its longest: with few texts to sort (a small incremental rerun) a
    budget-full batch would otherwise span lengths 128..40 and spend a third of its work on padding.
    0.1 rather than 0.2: on texts of ~21 tokens (rubert-tiny2-sized model and vocabulary) the
    padding tokens fell from 14% to 8% of the real ones and the forward took 7-9% less; 0.05 gave
    more, smaller batches and no gain (bench/README.md, session 7).
    The loop runs once per batch, not per row.
    """
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")
    descending = lengths[order]
    ascending_neg = -descending  # sorted ascending, for searchsorted
    batches: list[np.ndarray] = []
    start, n = 0, len(order)
    while start < n:
        longest = max(int(descending[start]), 1)
        size = max(1, min(max_batch, token_budget // longest))
        # First position whose length is below the padding bound (all later ones are too).
        cut = int(np.searchsorted(ascending_neg, -longest * (1.0 - max_padding), side="right"))
        size = min(size, max(min_batch, cut - start))
        batches.append(order[start : start + size])
        start += size
    return batches


class OOMBackoff:
    """Runs ``fn`` on a batch, halving it on out-of-memory until it fits (or one row fails)."""

    def __init__(self, device: torch.device, on_retry: Callable[[int], None] | None = None):
        self.device = device
        self.retries = 0
        self.on_retry = on_retry

    def run(self, idx: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``fn(idx)``, or the halves of ``idx`` run separately and stacked after an OOM."""
        try:
            return fn(idx)
        except Exception as exc:
            if not is_oom(exc) or len(idx) <= 1:
                raise
        release_memory(self.device)
        self.retries += 1
        half = len(idx) // 2
        log.warning(
            "out of memory on a batch of %d rows: retrying as %d + %d",
            len(idx),
            half,
            len(idx) - half,
        )
        if self.on_retry is not None:
            self.on_retry(half)
        return np.concatenate([self.run(idx[:half], fn), self.run(idx[half:], fn)])
