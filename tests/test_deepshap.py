"""Tests for attrprior.deepshap: references, DeepSHAP against captum, shap and tangermeme,
hypothetical contributions."""

import numpy as np
import pytest
import torch
from torch import nn
from toy_cnns import ExpLike, L, N, exp_model, f, one_hot, toy_model

from attrprior import deepshap as DS


@pytest.fixture
def x():
    return one_hot()


@pytest.fixture
def refs(x):
    return DS.dinucleotide_references(x, n_shuffles=5, seed=1)


def dinucleotide_counts(seq_onehot):
    idx = seq_onehot.argmax(axis=0)
    counts = np.zeros((4, 4), dtype=int)
    np.add.at(counts, (idx[:-1], idx[1:]), 1)
    return counts


def test_dinucleotide_references(x):
    refs = DS.dinucleotide_references(x, n_shuffles=4, seed=2)
    assert refs.shape == (N, 4, 4, L) and refs.dtype == np.float32
    np.testing.assert_array_equal(refs.sum(axis=2), 1)
    for i in range(N):
        for k in range(4):
            np.testing.assert_array_equal(
                dinucleotide_counts(refs[i, k]), dinucleotide_counts(x[i])
            )
    np.testing.assert_array_equal(refs, DS.dinucleotide_references(x, n_shuffles=4, seed=2))
    assert not np.array_equal(refs, DS.dinucleotide_references(x, n_shuffles=4, seed=3))
    assert not np.array_equal(refs, np.broadcast_to(x[:, None], refs.shape))


def test_deepshap_exp_model_deltas_and_additivity(x, refs):
    model = exp_model()
    hyp, deltas = DS.deepshap(model, x, refs, target=1, batch_size=7, return_deltas=True)
    assert hyp.shape == x.shape and hyp.dtype == np.float32 and deltas.shape == (N, 5)
    assert deltas.max() < 1e-3
    expected = f(model, x, 1) - np.mean([f(model, refs[:, k], 1) for k in range(5)], axis=0)
    np.testing.assert_allclose((hyp * x).sum(axis=(1, 2)), expected, rtol=1e-4, atol=1e-4)
    actual = DS.deepshap(model, x, refs, target=1, hypothetical=False)
    np.testing.assert_allclose(actual, hyp * x, rtol=1e-5, atol=1e-6)


def test_deepshap_needs_exp_rule(x, refs):
    """Without a rule, exp is treated as linear and the deltas blow up; a custom rule works."""
    from tangermeme.deep_lift_shap import _nonlinear

    with pytest.warns(RuntimeWarning, match="onvergence deltas"):
        _, bad = DS.deepshap(exp_model(), x, refs, additional_nonlinear_ops={}, return_deltas=True)
    assert bad.max() > 1e-2
    model = toy_model(ExpLike())
    _, good = DS.deepshap(
        model, x, refs, additional_nonlinear_ops={ExpLike: _nonlinear}, return_deltas=True
    )
    assert good.max() < 1e-3


def _position_sums(hyp, x):
    """Hypothetical score of the observed base, (N, L): what (x - r) * m sums to per position."""
    return (hyp * x).sum(axis=1)


@pytest.mark.filterwarnings("ignore::UserWarning:captum")  # third-party noise
def test_deepshap_matches_captum_without_pooling(x, refs):
    """Captum's DeepLiftShap on a ReLU model without pooling.

    Captum's DeepLIFT stops summing to f(x) - f(r) once a ReLU and a max-pool are chained
    (convergence deltas 0.03-0.16 on this toy model), though either one alone converges
    (max-pool alone: 5e-8): the max-pool cross-check is against shap instead."""
    from captum.attr import DeepLiftShap

    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Conv1d(4, 6, 5, padding=2), nn.ReLU(), nn.Flatten(), nn.Linear(6 * L, 2)
    ).eval()
    hyp = DS.deepshap(model, x, refs, target=1)
    for i in range(N):
        # Captum averages (x - r_k) * m_k over the references; summed over the bases at a
        # position this is the hypothetical score of the observed base.
        cap = DeepLiftShap(model).attribute(
            torch.tensor(x[i : i + 1]), baselines=torch.tensor(refs[i]), target=1
        )
        np.testing.assert_allclose(
            _position_sums(hyp, x)[i], cap[0].sum(dim=0).detach().numpy(), rtol=1e-4, atol=1e-6
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning:shap")  # third-party noise
def test_deepshap_matches_shap_with_pooling(x, refs):
    """shap.DeepExplainer on the ReLU -> MaxPool toy model, the same references per example."""
    shap = pytest.importorskip("shap")

    model = toy_model(seed=4).eval()
    hyp = DS.deepshap(model, x, refs)
    for i in range(2):
        explainer = shap.DeepExplainer(model, torch.tensor(refs[i]))
        values = np.asarray(explainer.shap_values(torch.tensor(x[i : i + 1])))  # (1, 4, L, 2)
        np.testing.assert_allclose(
            _position_sums(hyp, x)[i], values[0, ..., 0].sum(axis=0), rtol=1e-4, atol=1e-6
        )


def test_deepshap_rejects_n_columns(x, refs):
    x = x.copy()
    x[2, :, 5] = 0
    with pytest.raises(ValueError, match="all-zero"):
        DS.deepshap(exp_model(), x, refs)


def test_deepshap_does_not_depend_on_the_pair_batch_size(x, refs):
    # attribution.methods.deepshap.batch_size is a compute setting only.
    model = exp_model()
    maps = [DS.deepshap(model, x, refs, batch_size=size) for size in (1, 5, 32, 1000)]
    for other in maps[1:]:
        np.testing.assert_allclose(other, maps[0], atol=1e-6, rtol=0)
