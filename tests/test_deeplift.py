"""DeepLIFT multipliers with a shared example pass (attrprior.deeplift) against tangermeme's
pairs-as-rows engine, and against known properties of DeepLIFT."""

import warnings

import numpy as np
import pytest
import torch
from tangermeme._deep_lift_utils import _build_nonlinear_ops
from tangermeme.deep_lift_shap import deep_lift_shap
from torch import nn

from attrprior.deeplift import pair_multipliers, unsupported
from attrprior.deepshap import _default_nonlinear_ops, deepshap, dinucleotide_references
from attrprior.explained import ProfileAttributionModel, SummedOutputs
from attrprior.models import TsengProfileCNN, build_model

OPS = _build_nonlinear_ops(_default_nonlinear_ops())
MODELS = {
    "cnn_shallow_relu": dict(architecture="cnn_shallow", activation="relu", length=200),
    "cnn_shallow_exp": dict(architecture="cnn_shallow", activation="exponential", length=200),
    "cnn_deep_relu": dict(architecture="cnn_deep", activation="relu", length=200),
    "tseng_binary": dict(architecture="tseng_binary", length=400, n_tasks=3),
}


def one_hot(n, length, seed):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1).copy()


def evaluated_model(spec, seed=0):
    """A seeded model whose BatchNorm running statistics are not the defaults, in eval mode."""
    torch.manual_seed(seed)
    model = build_model(**spec).train()
    with torch.no_grad():
        for s in range(3):
            model(torch.as_tensor(one_hot(32, spec["length"], 100 + s)))
    return model.eval()


def tangermeme_multipliers(model, x, refs, target=0, args=None):
    return deep_lift_shap(
        model,
        x,
        references=refs,
        args=args,
        target=target,
        batch_size=7,
        raw_outputs=True,
        additional_nonlinear_ops=_default_nonlinear_ops(),
        device="cpu",
    )


@pytest.mark.parametrize("name", list(MODELS))
def test_multipliers_equal_tangermeme(name):
    spec = MODELS[name]
    model = evaluated_model(spec)
    x = one_hot(5, spec["length"], 0)
    refs = torch.as_tensor(dinucleotide_references(x, n_shuffles=4, seed=0))
    x = torch.as_tensor(x)
    for target in range(spec.get("n_tasks", 1)):
        expected = tangermeme_multipliers(model, x, refs, target)
        got = pair_multipliers(model, x, refs, target, nonlinear_ops=OPS)
        assert got.shape == (5, 4, 4, spec["length"])
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6 * expected.abs().max())


@pytest.mark.parametrize("name", list(MODELS))
def test_deepshap_maps_are_the_same_with_either_engine(name):
    spec = MODELS[name]
    model = evaluated_model(spec)
    if spec.get("n_tasks", 1) > 1:
        model = SummedOutputs(model)  # the explained output of a multi-task model
    x = one_hot(6, spec["length"], 1)
    refs = dinucleotide_references(x, n_shuffles=5, seed=1)
    shared = deepshap(model, x, refs, batch_size=10, engine="shared")
    reference = deepshap(model, x, refs, batch_size=10, engine="tangermeme")
    np.testing.assert_allclose(shared, reference, rtol=0, atol=1e-6 * np.abs(reference).max())
    np.testing.assert_array_equal(deepshap(model, x, refs, batch_size=10), shared)


def test_multipliers_sum_to_the_output_difference():
    """Summation to delta: sum((x - r) m) = f(x) - f(r) for every pair."""
    spec = MODELS["cnn_deep_relu"]
    model = evaluated_model(spec)
    x = torch.as_tensor(one_hot(4, 200, 2))
    refs = torch.as_tensor(dinucleotide_references(x.numpy(), n_shuffles=3, seed=2))
    m = pair_multipliers(model, x, refs, nonlinear_ops=OPS)
    with torch.no_grad():
        difference = model(x)[:, None, 0] - model(refs.reshape(-1, 4, 200))[:, 0].reshape(4, 3)
    contribution = ((x[:, None] - refs) * m).sum(dim=(2, 3))
    torch.testing.assert_close(contribution, difference, rtol=1e-4, atol=1e-5)


def test_a_reference_equal_to_the_example_gives_the_gradient():
    """With r = x every change is zero, so every rule falls back to the ordinary derivative at
    the example (rescale: |delta| < 1e-6; max-pool: delta = 0): the input gradient."""
    for name in ("cnn_shallow_exp", "tseng_binary"):
        spec = MODELS[name]
        model = evaluated_model(spec)
        x = torch.as_tensor(one_hot(3, spec["length"], 3))
        m = pair_multipliers(model, x, x[:, None].clone(), nonlinear_ops=OPS)
        xg = x.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(model(xg)[:, 0].sum(), xg)
        torch.testing.assert_close(m[:, 0], gradient)


def test_max_pool_rule_by_hand():
    """The max-pool rule on three windows of two, multipliers worked out by hand.

    x = [3 1 | 2 2 | 3 4], r = [1 0 | 2 5 | 3 1], window weights w = [1 2 3]:
    window 1, both winners at 0: (3 - 1) / (3 - 1) = 1 there; window 2, the example's
    winner (2, the first of a tie) does not change, so it passes the ordinary gradient
    w = 2, and the reference's winner (3) gets w (2 - 5) / (2 - 5) = 2; window 3, the
    reference's winner (4) does not change and gets 0, the example's winner (5) gets
    w (4 - 3) / (4 - 1) = 1; and sum((x - r) m) = f(x) - f(r). (tangermeme refuses inputs
    that are not one-hot; the comparisons with it above cover the rule on real models.)
    """
    model = nn.Sequential(nn.MaxPool1d(2), nn.Flatten(), nn.Linear(3, 1, bias=False)).eval()
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
    x = torch.tensor([[[3.0, 1, 2, 2, 3, 4]]])
    r = torch.tensor([[[[1.0, 0, 2, 5, 3, 1]]]])
    m = pair_multipliers(model, x, r, nonlinear_ops=OPS)
    torch.testing.assert_close(m, torch.tensor([[[[1.0, 0, 2, 2, 0, 1]]]]))
    with torch.no_grad():
        assert float(((x - r[:, 0]) * m[:, 0]).sum()) == pytest.approx(
            float(model(x) - model(r[:, 0]))
        )


class WithControl(nn.Module):
    """A model with a further per-example input, linear in each row outside its ReLU."""

    deeplift_rowwise_linear = True

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 3, 5)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool1d(4)
        self.flatten = nn.Flatten()
        self.dense = nn.Linear(3 * 9, 2)

    def forward(self, x, control):
        return self.dense(self.flatten(self.pool(self.relu(self.conv(x))))) + control


def test_further_inputs_are_given_to_each_reference():
    torch.manual_seed(4)
    model = WithControl().eval()
    x = torch.as_tensor(one_hot(3, 40, 4))
    refs = torch.as_tensor(dinucleotide_references(x.numpy(), n_shuffles=2, seed=4))
    control = torch.randn(3, 2)
    expected = tangermeme_multipliers(model, x, refs, 1, args=(control,))
    got = pair_multipliers(model, x, refs, 1, args=(control,), nonlinear_ops=OPS)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-7)


def test_profile_model_explained_output_equals_tangermeme():
    """The profile model's explained output weights each row by its own detached
    log-softmax: the references get the example's weights (ProfileWeights), as the
    example's row of a tangermeme pair uses its own; the control is a further input."""
    torch.manual_seed(5)
    tseng_profile = TsengProfileCNN(
        length=120, n_filters=4, kernel_sizes=(5, 3, 3), profile_kernel_size=9, control_strands=2
    )
    profile = ProfileAttributionModel(tseng_profile).eval()
    assert unsupported(profile, OPS) is None
    x = one_hot(3, 120, 5)
    refs = dinucleotide_references(x, n_shuffles=3, seed=5)
    control = np.random.default_rng(5).random((3, 1, 2, tseng_profile.output_length))
    control = torch.as_tensor(control.astype(np.float32))
    x, refs = torch.as_tensor(x), torch.as_tensor(refs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the weights' change breaks summation to delta
        expected = tangermeme_multipliers(profile, x, refs, args=(control,))
    got = pair_multipliers(profile, x, refs, args=(control,), nonlinear_ops=OPS)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6 * expected.abs().max())


class Unknown(nn.Module):
    def forward(self, x):
        return x.flatten(1)[:, :3] ** 2


def test_models_it_cannot_explain_are_named_and_left_to_tangermeme():
    unknown = nn.Sequential(nn.Conv1d(4, 2, 3), Unknown()).eval()
    assert "Unknown is not known to be linear" in unsupported(unknown, OPS)
    overlapping = nn.Sequential(nn.Conv1d(4, 2, 3), nn.ReLU(), nn.MaxPool1d(4, stride=2)).eval()
    assert "kernel == stride" in unsupported(overlapping, OPS)
    softmax = nn.Sequential(nn.Flatten(), nn.Linear(40, 3), nn.Softmax(dim=1)).eval()
    assert "Softmax" in unsupported(softmax, OPS)
    # States in which the examples' and the references' separate batches would differ.
    conv_bn = nn.Sequential(nn.Conv1d(4, 2, 3), nn.BatchNorm1d(2), nn.ReLU())
    assert "training mode" in unsupported(conv_bn, OPS)
    no_statistics = nn.Sequential(nn.Conv1d(4, 2, 3), nn.BatchNorm1d(2, track_running_stats=False))
    assert "without running statistics" in unsupported(no_statistics.eval(), OPS)
    in_place = nn.Sequential(nn.Conv1d(4, 2, 3), nn.ReLU(inplace=True)).eval()
    assert "inplace=True" in unsupported(in_place, OPS)
    torch.manual_seed(6)
    model = nn.Sequential(nn.Conv1d(4, 2, 3), nn.Flatten(), nn.Linear(76, 1), Unknown()).eval()
    x = one_hot(2, 40, 5)
    refs = dinucleotide_references(x, n_shuffles=2, seed=5)
    with pytest.raises(ValueError, match="engine 'shared' cannot explain"):
        deepshap(model, x, refs, engine="shared")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(
            deepshap(model, x, refs), deepshap(model, x, refs, engine="tangermeme")
        )
    with pytest.raises(ValueError, match="engine must be one of"):
        deepshap(model, x, refs, engine="fast")


def test_a_module_called_twice_is_refused():
    class Twice(nn.Module):
        deeplift_rowwise_linear = True

        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.dense = nn.Linear(40, 1)

        def forward(self, x):
            return self.dense(self.relu(self.relu(x.flatten(1))))

    x = torch.as_tensor(one_hot(2, 10, 6))
    with pytest.raises(ValueError, match="called twice"):
        pair_multipliers(Twice().eval(), x, x[:, None].clone(), nonlinear_ops=OPS)
    # engine auto falls back to tangermeme, which keeps one record per call.
    torch.manual_seed(6)
    model = Twice().eval()
    x = one_hot(3, 10, 6)
    refs = np.stack([np.roll(x, k, axis=2) for k in (1, 2)], axis=1)
    np.testing.assert_array_equal(
        deepshap(model, x, refs), deepshap(model, x, refs, engine="tangermeme")
    )
    with pytest.raises(ValueError, match="called twice"):
        deepshap(model, x, refs, engine="shared")


def test_hypothetical_scores_equal_tangermeme():
    from tangermeme.deep_lift_shap import hypothetical_attributions

    from attrprior.deepshap import hypothetical_scores

    torch.manual_seed(7)
    refs = torch.as_tensor(dinucleotide_references(one_hot(3, 30, 7), n_shuffles=2, seed=7))
    m = torch.randn(refs.shape)
    x = torch.as_tensor(one_hot(3, 30, 7))[:, None].expand_as(refs)
    (expected,) = hypothetical_attributions(
        (m.reshape(6, 4, 30),), (x.reshape(6, 4, 30),), (refs.reshape(6, 4, 30),)
    )
    torch.testing.assert_close(hypothetical_scores(m, refs), expected.reshape(refs.shape))
