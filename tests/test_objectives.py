"""attrprior.objectives: the losses of one batch, the prior on positives or on all examples."""

import numpy as np
import pytest
import torch

from attrprior.attribution import input_attributions
from attrprior.conditions import Condition
from attrprior.models import build_model
from attrprior.objectives import condition_losses
from attrprior.priors import fourier_prior
from attrprior.sim.billboard import simulate_billboard

FOURIER = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 30}}


@pytest.fixture(scope="module")
def splits():
    data = simulate_billboard(n_sequences=300, seed=1)
    return {s: (data.x[data.split == s], data.y[data.split == s]) for s in ("train", "valid")}


def test_prior_uses_positives_only(splits):
    torch.manual_seed(0)
    model = build_model("cnn_shallow").eval()
    x = torch.as_tensor(splits["train"][0][:20])
    condition = Condition.from_config(FOURIER)
    _, prior_none_positive, _ = condition_losses(model, x, torch.zeros(20, 1), condition)
    assert prior_none_positive.item() == 0.0
    y = torch.zeros(20, 1)
    y[:5] = 1
    _, prior, _ = condition_losses(model, x, y, condition)
    attr, _ = input_attributions(model, x[:5])
    assert prior.item() == pytest.approx(fourier_prior(attr, 30).mean().item(), rel=1e-5)
    _, no_prior, _ = condition_losses(model, x, y, Condition())
    assert no_prior.item() == 0.0


def test_l2_condition_adds_the_parameter_penalty(splits):
    torch.manual_seed(0)
    model = build_model("cnn_shallow")
    x = torch.as_tensor(splits["train"][0][:10])
    y = torch.as_tensor(splits["train"][1][:10])
    _, _, l2 = condition_losses(model, x, y, Condition(l2_weight=1.0))
    expected = sum(p.pow(2).sum() for p in model.parameters())
    assert l2.item() == pytest.approx(expected.item(), rel=1e-6)


def test_angle_condition_averages_over_all_examples():
    from attrprior.priors import angle_prior

    torch.manual_seed(0)
    model = build_model("cnn_shallow").eval()
    x = torch.eye(4)[torch.randint(0, 4, (6, 200))].transpose(1, 2).contiguous()
    y = torch.zeros(6, 1)  # no positives: the angle prior still counts every example
    condition = Condition.from_config(
        {"prior": "angle", "weight": 1e-4, "attribution": "gradient", "examples": "all"}
    )
    _, prior, _ = condition_losses(model, x, y, condition)
    grad, _ = input_attributions(model, x, kind="gradient")
    assert prior.item() == pytest.approx(angle_prior(grad).mean().item(), rel=1e-5)
    assert prior.item() > 0


def test_reverse_complement_batch():
    from attrprior.objectives import reverse_complement_batch

    x = torch.eye(4)[torch.tensor([[0, 1, 2, 2]])].transpose(1, 2)  # ACGG
    y = torch.tensor([[1.0]])
    x2, y2 = reverse_complement_batch(x, y)
    assert x2.shape == (2, 4, 4) and y2.tolist() == [[1.0], [1.0]]
    # reverse complement of ACGG is CCGT
    assert x2[1].argmax(dim=0).tolist() == [1, 1, 2, 3]


def test_mean_auroc_ignores_ambiguous_labels():
    from attrprior.objectives import mean_auroc

    y = np.array([[1, 0], [0, 1], [-1, 0], [1, -1]])
    score = np.array([[0.9, 0.1], [0.1, 0.8], [0.99, 0.3], [0.8, 0.0]])
    assert mean_auroc(y, score) == pytest.approx(1.0)
    assert np.isnan(mean_auroc(np.ones((3, 1)), np.zeros((3, 1))))
