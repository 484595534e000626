"""Tests for attrprior.attribution: the gradient methods, the attribute() registry, what is
explained (summed logits, a named task)."""

import numpy as np
import pytest
import torch
from torch import nn
from toy_cnns import N, exp_model, f, linear_model, one_hot, toy_model

from attrprior import attribution as A
from attrprior import deepshap as DS
from attrprior.correction import correct_gradients
from attrprior.explained import SummedOutputs, explained_tasks


@pytest.fixture
def x():
    return one_hot()


@pytest.fixture
def refs(x):
    return DS.dinucleotide_references(x, n_shuffles=5, seed=1)


@pytest.mark.filterwarnings("ignore::UserWarning:captum")  # third-party noise
def test_saliency_matches_autograd_and_captum(x):
    from captum.attr import Saliency

    model = exp_model()
    model.train()  # must be put in eval mode and restored
    sal = A.saliency(model, x, target=1, batch_size=4)
    assert model.training
    assert sal.shape == x.shape and sal.dtype == np.float32

    model.eval()
    xt = torch.tensor(x, requires_grad=True)
    (direct,) = torch.autograd.grad(model(xt)[:, 1].sum(), xt)
    np.testing.assert_allclose(sal, direct.numpy(), rtol=1e-5, atol=1e-6)
    cap = Saliency(model).attribute(torch.tensor(x), target=1, abs=False)
    np.testing.assert_allclose(sal, cap.numpy(), rtol=1e-5, atol=1e-6)
    # torch input accepted, same result; parameter grads untouched.
    np.testing.assert_allclose(A.saliency(model, torch.tensor(x), target=1), sal, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())


def test_ig_trapezoid_rule_with_one_step(x):
    """steps=1 is the mean of the gradients at the two ends (the reference's trapezoid rule)."""
    model = exp_model()
    base = np.roll(x, 3, axis=2)
    ig = A.integrated_gradients(model, x, base, steps=1)
    ends = 0.5 * (A.saliency(model, x) + A.saliency(model, base))
    np.testing.assert_allclose(ig, ends, rtol=1e-5, atol=1e-6)


def test_ig_completeness_linear_and_toy(x):
    lin = linear_model()
    ig = A.integrated_gradients(lin, x, steps=3)  # zero baseline
    np.testing.assert_allclose(
        (x * ig).sum(axis=(1, 2)), f(lin, x) - f(lin, np.zeros_like(x)), rtol=1e-4, atol=1e-5
    )

    model = exp_model()
    base = DS.dinucleotide_references(x, n_shuffles=1, seed=3)[:, 0]
    ig = A.integrated_gradients(model, x, base, steps=300, batch_size=1000)
    lhs = ((x - base) * ig).sum(axis=(1, 2))
    rhs = f(model, x) - f(model, base)
    np.testing.assert_allclose(lhs, rhs, rtol=2e-3, atol=2e-3 * np.abs(rhs).max())
    # Few steps are visibly less exact on this nonlinear model (the test can tell).
    ig2 = A.integrated_gradients(model, x, base, steps=1)
    assert np.abs(((x - base) * ig2).sum(axis=(1, 2)) - rhs).max() > np.abs(lhs - rhs).max()


def test_ig_matches_captum_trapezoid(x):
    from captum.attr import IntegratedGradients

    model = exp_model()
    base = np.full_like(x, 0.25)
    steps = 10
    ours = A.integrated_gradients(model, x, base, steps=steps, target=1, batch_size=7)
    cap = IntegratedGradients(model, multiply_by_inputs=False).attribute(
        torch.tensor(x),
        baselines=torch.tensor(base),
        target=1,
        n_steps=steps + 1,
        method="riemann_trapezoid",
    )
    # Captum's trapezoid weights sum to steps / (steps + 1); ours sum to 1.
    np.testing.assert_allclose(ours, cap.numpy() * (steps + 1) / steps, rtol=1e-4, atol=1e-6)


def test_ig_multiple_baselines_is_mean(x, refs):
    model = exp_model()
    many = A.integrated_gradients(model, x, refs, steps=4, batch_size=9)
    each = np.mean(
        [A.integrated_gradients(model, x, refs[:, k], steps=4) for k in range(refs.shape[1])],
        axis=0,
    )
    np.testing.assert_allclose(many, each, rtol=1e-5, atol=1e-6)
    eg = A.expected_gradients(model, x, refs, steps=4)
    np.testing.assert_allclose(eg, each, rtol=1e-5, atol=1e-6)


def test_expected_gradients_random_alphas_seeded(x, refs):
    model = exp_model()
    a = A.expected_gradients(model, x, refs, seed=3, random_alphas=True, batch_size=4)
    b = A.expected_gradients(model, x, refs, seed=3, random_alphas=True, batch_size=64)
    c = A.expected_gradients(model, x, refs, seed=4, random_alphas=True)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(a, c)


def test_smoothgrad(x):
    model = exp_model()
    sal = A.saliency(model, x)
    np.testing.assert_allclose(
        A.smoothgrad(model, x, n_samples=5, sigma=0.0), sal, rtol=1e-5, atol=1e-6
    )
    a = A.smoothgrad(model, x, n_samples=8, sigma=0.3, seed=5, batch_size=3)
    b = A.smoothgrad(model, x, n_samples=8, sigma=0.3, seed=5, batch_size=100)
    c = A.smoothgrad(model, x, n_samples=8, sigma=0.3, seed=6)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # batch-size independent
    assert not np.allclose(a, c)
    assert not np.allclose(a, sal)


def test_bad_model_output_raises(x):
    model = nn.Sequential(nn.Conv1d(4, 1, 3))  # (N, 1, L-2): not (N, n_targets)
    with pytest.raises(ValueError, match="n_targets"):
        A.saliency(model, x)


# --- registry --------------------------------------------------------------------------------


def test_attribute_returns_raw_and_corrected(x, refs):
    model = exp_model()
    methods = {
        "saliency": {},
        "integrated_gradients": {"steps": 5},
        "smoothgrad": {"n_samples": 4},
        "expected_gradients": {"steps": 3},
        "deepshap": {"batch_size": 10},
    }
    assert set(methods) == set(A.ATTRIBUTION_METHODS)
    out = A.attribute(model, x, refs, methods, seed=1)
    assert set(out) == set(methods) | {f"{m}_corrected" for m in methods}
    for m in methods:
        assert out[m].shape == x.shape and out[m].dtype == np.float32
        np.testing.assert_allclose(out[f"{m}_corrected"], correct_gradients(out[m]))
        np.testing.assert_allclose(out[f"{m}_corrected"].sum(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(out["saliency"], A.saliency(model, x), atol=1e-7)
    np.testing.assert_allclose(out["deepshap"], DS.deepshap(model, x, refs), atol=1e-7)
    with pytest.raises(ValueError, match="unknown attribution"):
        A.attribute(model, x, refs, {"grad_x_input": {}})
    with pytest.raises(ValueError, match="unknown parameter"):
        A.attribute(model, x, refs, {"smoothgrad": {"nsamples": 3}})


class ScaledByControl(nn.Module):
    """``model(x)[:, 0] * (1 + c.sum())``: a second input that scales each example's output."""

    def __init__(self, seed=0):
        super().__init__()
        self.body = toy_model(seed=seed, n_targets=1)

    def forward(self, x, control):
        return self.body(x) * (1 + control.flatten(start_dim=1).sum(dim=1, keepdim=True))


def test_further_model_inputs_are_passed_per_example_to_every_method(x, refs):
    model = ScaledByControl().eval()
    control = np.random.default_rng(1).random((N, 2, 3)).astype(np.float32)
    scale = 1 + control.reshape(N, -1).sum(axis=1)[:, None, None]
    methods = {
        "saliency": {},
        "integrated_gradients": {"steps": 4},
        "smoothgrad": {"n_samples": 3},
        "expected_gradients": {"steps": 3},
        "deepshap": {},
    }
    with_control = A.attribute(model, x, refs, methods, seed=0, args=(control,))
    # The control multiplies the output of the same example only: each map is the
    # body's map times that example's factor (every point and reference of example n
    # gets control n).
    plain = A.attribute(model.body, x, refs, methods, seed=0)
    for name in methods:
        np.testing.assert_allclose(with_control[name], plain[name] * scale, rtol=2e-4, atol=1e-6)
    _, deltas = DS.deepshap(model, x, refs, args=(control,), return_deltas=True)
    assert deltas.shape == (N, refs.shape[1]) and deltas.max() < 1e-4
    with pytest.raises(ValueError, match=r"args\[0\] must have one row per example"):
        A.saliency(model, x, args=(control[:2],))


# ---------------------------------------------------------------------------------------------
# The explained output of a multi-task model (config key attribution.explain)
# ---------------------------------------------------------------------------------------------


def three_task_binary_model(seed=0, length=60):
    from attrprior.models import TsengBinaryCNN

    torch.manual_seed(seed)
    model = TsengBinaryCNN(
        length=length, n_tasks=3, n_filters=5, kernel_sizes=(5, 5), pool=4, fc_sizes=(6,)
    )
    # Random BatchNorm statistics, so that the eval-mode model is not a near-identity.
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d) or hasattr(module, "running_var"):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


class TaskLogitSum(nn.Module):
    """Written independently of SummedOutputs: the model's logits summed over tasks."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.sum(self.model(x), dim=-1).unsqueeze(-1)


def test_summed_logit_deepshap_equals_tangermeme_on_its_own_wrapper():
    from tangermeme.deep_lift_shap import deep_lift_shap

    model = three_task_binary_model()
    x = one_hot(n=4, length=60, seed=3)
    refs = DS.dinucleotide_references(x, n_shuffles=5, seed=1)
    ours = A.attribute(
        SummedOutputs(model, explained_tasks("sum", ["a", "b", "c"])),
        x,
        refs,
        {"deepshap": {}},
    )["deepshap"]
    theirs = deep_lift_shap(
        TaskLogitSum(model),
        torch.tensor(x),
        references=torch.tensor(refs),
        hypothetical=True,
        batch_size=5,
    ).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-5)
    # Task 0 alone (the old behaviour) is a different map, and DeepLIFT is linear in the
    # explained output: the summed map is the sum of the three per-task maps.
    per_task = [DS.deepshap(model, x, refs, target=t) for t in range(3)]
    assert np.abs(ours - per_task[0]).max() > 0.1 * np.abs(ours).max()
    np.testing.assert_allclose(ours, sum(per_task), atol=1e-5, rtol=1e-4)


def test_explaining_one_named_task_is_its_logit():
    model = three_task_binary_model(seed=1)
    x = one_hot(n=3, length=60, seed=4)
    named = SummedOutputs(model, explained_tasks("b", ["a", "b", "c"]))
    np.testing.assert_allclose(
        A.saliency(named, x), A.saliency(model, x, target=1), rtol=1e-6, atol=1e-7
    )
    summed = SummedOutputs(model)
    grads = sum(A.saliency(model, x, target=t) for t in range(3))
    np.testing.assert_allclose(A.saliency(summed, x), grads, rtol=1e-5, atol=1e-6)


def test_explained_tasks_rejects_unknown_task():
    assert explained_tasks("sum", []) is None
    assert explained_tasks("c", ["a", "b", "c"]) == [2]
    with pytest.raises(ValueError, match="'d' is neither 'sum' nor a task.*'a', 'b', 'c'"):
        explained_tasks("d", ["a", "b", "c"])
