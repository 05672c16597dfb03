import numpy as np

from encoders.batching import token_budget_batches


def _check_partition(batches, lengths, budget, max_batch):
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))  # every row exactly once
    for b in batches:
        assert len(b) <= max_batch
        assert len(b) == 1 or len(b) * lengths[b].max() <= budget


def test_budget_and_longest_first():
    lengths = np.array([5, 100, 7, 50, 100, 3, 60])
    batches = token_budget_batches(lengths, 200, max_batch=4, max_padding=1.0, min_batch=1)
    _check_partition(batches, lengths, 200, 4)
    assert batches[0].tolist() == [1, 4]  # the two 100-token texts fill the budget
    assert [int(lengths[b].max()) for b in batches] == sorted(
        (int(lengths[b].max()) for b in batches), reverse=True
    )


def test_padding_bound_cuts_batches_once_min_batch_is_reached():
    # A small rerun: few texts with widely spread lengths. Budget alone would put all 8 together.
    lengths = np.array([128, 120, 110, 100, 64, 60, 20, 18])
    plain = token_budget_batches(lengths, 4096, max_padding=1.0, min_batch=1)
    assert len(plain) == 1
    cut = token_budget_batches(lengths, 4096, max_padding=0.2, min_batch=2)
    _check_partition(cut, lengths, 4096, 1024)
    assert [sorted(lengths[b].tolist(), reverse=True) for b in cut] == [
        [128, 120, 110],  # 100 < 0.8 * 128
        [100, 64],  # min_batch keeps two rows even though 64 < 80
        [60, 20],
        [18],
    ]

    def waste(batches):
        padded = sum(len(b) * int(lengths[b].max()) for b in batches)
        return 1 - lengths.sum() / padded

    assert waste(cut) < waste(plain)


def test_large_random_corpus_stays_a_partition():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 129, size=5000)
    batches = token_budget_batches(lengths, 16384, max_batch=1024)
    _check_partition(batches, lengths, 16384, 1024)
    for b in batches:  # each batch either holds min_batch rows or stays within the padding bound
        assert len(b) <= 32 or lengths[b].min() >= 0.8 * lengths[b].max() - 1
