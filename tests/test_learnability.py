"""The synthetic profile task and the counts learnability check of profile models."""

import numpy as np
import pytest
import torch

from attrprior.learnability import counts_learnability, simulate_profile_task
from attrprior.models import TsengProfileCNN

MOTIF = "GGAATTCC"


def test_simulated_task_plants_the_motif_and_its_reads():
    task = simulate_profile_task(400, input_length=300, output_length=200, max_offset=40, seed=3)
    assert task.x.shape == (400, 4, 300) and task.x.dtype == np.float32
    assert task.profiles.shape == task.control.shape == (400, 1, 2, 200)
    np.testing.assert_array_equal(task.x.sum(axis=1), 1)  # one-hot
    has = task.motif_start >= 0
    assert 0.6 < has.mean() < 0.8  # motif_fraction 0.7
    bases = "ACGT"
    for row in np.flatnonzero(has)[:20]:
        start = task.motif_start[row]
        window = task.x[row, :, start : start + len(MOTIF)].argmax(axis=0)
        assert "".join(bases[i] for i in window) == MOTIF
        centre = start + len(MOTIF) // 2
        assert abs(centre - 150) <= 40
    # Expected reads per strand: 60 in the peak + 6 background with the motif, 6 without;
    # the control 10 everywhere (means of Poisson totals over 280 and 120 sequences).
    totals = task.profiles.sum(axis=-1)[:, 0]
    np.testing.assert_allclose(totals[has].mean(), 66, rtol=0.05)
    np.testing.assert_allclose(totals[~has].mean(), 6, rtol=0.1)
    np.testing.assert_allclose(task.control.sum(axis=-1).mean(), 10, rtol=0.05)
    # The + strand's reads pile up 5 bp before the motif's centre, the - strand's 5 bp after
    # (profile position 0 is sequence position 50).
    rows = np.flatnonzero(has)
    profile_centre = task.motif_start[rows] + len(MOTIF) // 2 - 50
    offsets = np.arange(-20, 21)
    plus = np.mean(
        [task.profiles[r, 0, 0, c + offsets] for r, c in zip(rows, profile_centre, strict=True)], 0
    )
    minus = np.mean(
        [task.profiles[r, 0, 1, c + offsets] for r, c in zip(rows, profile_centre, strict=True)], 0
    )
    # Each strand's 60 peak reads lie on its 11 bp, the other strand's window holds background.
    before, after = (offsets >= -10) & (offsets <= 0), (offsets >= 0) & (offsets <= 10)
    np.testing.assert_allclose(plus[before].sum(), 60 + 11 * 6 / 200, rtol=0.05)
    np.testing.assert_allclose(minus[after].sum(), 60 + 11 * 6 / 200, rtol=0.05)
    assert plus[offsets > 0].sum() < 1 and minus[offsets < 0].sum() < 1
    np.testing.assert_allclose(task.log_counts, np.log1p(task.profiles.sum(-1, dtype=float)))


def test_simulated_task_is_seeded_and_checks_its_settings():
    a = simulate_profile_task(10, input_length=300, output_length=200, max_offset=40, seed=1)
    b = simulate_profile_task(10, input_length=300, output_length=200, max_offset=40, seed=1)
    c = simulate_profile_task(10, input_length=300, output_length=200, max_offset=40, seed=2)
    np.testing.assert_array_equal(a.profiles, b.profiles)
    assert not np.array_equal(a.x, c.x)
    with pytest.raises(ValueError, match="max_offset"):
        simulate_profile_task(10, input_length=300, output_length=100, max_offset=50)
    with pytest.raises(ValueError, match="motif"):
        simulate_profile_task(10, motif="GGNN")
    with pytest.raises(ValueError, match="output_length"):
        simulate_profile_task(10, input_length=300, output_length=400)


# The small model and task of `benchmarks/profile_counts.py --size ci`.
CI_MODEL = dict(length=304, n_filters=16, kernel_sizes=(21, 3, 3, 3, 3), profile_kernel_size=25)


@pytest.fixture(scope="module")
def ci_task():
    output_length = TsengProfileCNN(**CI_MODEL).output_length
    task = dict(input_length=304, output_length=output_length, max_offset=50)
    return simulate_profile_task(800, seed=1, **task), simulate_profile_task(200, seed=2, **task)


@pytest.mark.parametrize(
    ("counts_head", "learns"),
    [
        # The reference: raw control totals, PyTorch's initialisation of the counts mixing.
        ({"log_control_counts": False, "counts_mix_init": "pytorch"}, False),
        ({}, True),  # the default: log(1 + total), identity start
    ],
)
def test_the_default_profile_model_learns_counts_with_controls(ci_task, counts_head, learns):
    train, test = ci_task
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same arithmetic on every machine
    try:
        torch.manual_seed(0)
        model = TsengProfileCNN(**CI_MODEL, control_strands=2, **counts_head)
        history = counts_learnability(model, train, test, steps=1500, eval_every=1500, seed=0)
    finally:
        torch.set_num_threads(threads)
    last = history.iloc[-1]
    # The profile head learns either way: NLL well below half a uniform profile's.
    assert last.profile_nll < 0.5 * last.uniform_nll
    # The counts: the default predicts the held-out log counts; the reference does not yet.
    if learns:
        assert last.count_pearson >= 0.8
        assert last.count_mse < 0.5 * last.mean_mse
    else:
        assert last.count_pearson < 0.3
