"""Tests for attrprior.attribution: gradient correction, angles, gradient methods, DeepSHAP."""

import numpy as np
import pytest
import torch
from torch import nn

from attrprior import attribution as A
from attrprior.correction import correct_gradients
from attrprior.explained import SummedOutputs, explained_tasks

L = 24
N = 6


class ExpLike(nn.Module):
    """An exp module of our own, for the ``additional_nonlinear_ops`` argument."""

    def forward(self, x):
        return torch.exp(x)


def toy_model(activation=None, seed=0, n_targets=2, length=L):
    """Conv1d -> ReLU -> [activation] -> MaxPool(4, 4) -> Flatten -> Linear; DeepLIFT-safe."""
    torch.manual_seed(seed)
    layers = [nn.Conv1d(4, 6, 5, padding=2), nn.ReLU()]
    if activation is not None:
        layers.append(activation)
    layers += [nn.MaxPool1d(4, stride=4), nn.Flatten(), nn.Linear(6 * (length // 4), n_targets)]
    return nn.Sequential(*layers)


def exp_model(seed=0):
    from attrprior.models import Exp

    return toy_model(Exp(), seed=seed)


def linear_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv1d(4, 3, 5, padding=2), nn.Flatten(), nn.Linear(3 * L, 2))


def one_hot(n=N, length=L, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    return x


def f(model, x, target=0):
    with torch.no_grad():
        return model.eval()(torch.as_tensor(x, dtype=torch.float32))[:, target].numpy()


@pytest.fixture
def x():
    return one_hot()


@pytest.fixture
def refs(x):
    return A.dinucleotide_references(x, n_shuffles=5, seed=1)


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
    base = A.dinucleotide_references(x, n_shuffles=1, seed=3)[:, 0]
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


# --- references and DeepSHAP -----------------------------------------------------------------


def dinucleotide_counts(seq_onehot):
    idx = seq_onehot.argmax(axis=0)
    counts = np.zeros((4, 4), dtype=int)
    np.add.at(counts, (idx[:-1], idx[1:]), 1)
    return counts


def test_dinucleotide_references(x):
    refs = A.dinucleotide_references(x, n_shuffles=4, seed=2)
    assert refs.shape == (N, 4, 4, L) and refs.dtype == np.float32
    np.testing.assert_array_equal(refs.sum(axis=2), 1)
    for i in range(N):
        for k in range(4):
            np.testing.assert_array_equal(
                dinucleotide_counts(refs[i, k]), dinucleotide_counts(x[i])
            )
    np.testing.assert_array_equal(refs, A.dinucleotide_references(x, n_shuffles=4, seed=2))
    assert not np.array_equal(refs, A.dinucleotide_references(x, n_shuffles=4, seed=3))
    assert not np.array_equal(refs, np.broadcast_to(x[:, None], refs.shape))


def test_deepshap_exp_model_deltas_and_additivity(x, refs):
    model = exp_model()
    hyp, deltas = A.deepshap(model, x, refs, target=1, batch_size=7, return_deltas=True)
    assert hyp.shape == x.shape and hyp.dtype == np.float32 and deltas.shape == (N, 5)
    assert deltas.max() < 1e-3
    expected = f(model, x, 1) - np.mean([f(model, refs[:, k], 1) for k in range(5)], axis=0)
    np.testing.assert_allclose((hyp * x).sum(axis=(1, 2)), expected, rtol=1e-4, atol=1e-4)
    actual = A.deepshap(model, x, refs, target=1, hypothetical=False)
    np.testing.assert_allclose(actual, hyp * x, rtol=1e-5, atol=1e-6)


def test_deepshap_needs_exp_rule(x, refs):
    """Without a rule, exp is treated as linear and the deltas blow up; a custom rule works."""
    from tangermeme.deep_lift_shap import _nonlinear

    with pytest.warns(RuntimeWarning, match="onvergence deltas"):
        _, bad = A.deepshap(exp_model(), x, refs, additional_nonlinear_ops={}, return_deltas=True)
    assert bad.max() > 1e-2
    model = toy_model(ExpLike())
    _, good = A.deepshap(
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
    hyp = A.deepshap(model, x, refs, target=1)
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
    hyp = A.deepshap(model, x, refs)
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
        A.deepshap(exp_model(), x, refs)


def test_deepshap_does_not_depend_on_the_pair_batch_size(x, refs):
    # attribution.methods.deepshap.batch_size is a compute setting only.
    model = exp_model()
    maps = [A.deepshap(model, x, refs, batch_size=size) for size in (1, 5, 32, 1000)]
    for other in maps[1:]:
        np.testing.assert_allclose(other, maps[0], atol=1e-6, rtol=0)


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
    np.testing.assert_allclose(out["deepshap"], A.deepshap(model, x, refs), atol=1e-7)
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
    _, deltas = A.deepshap(model, x, refs, args=(control,), return_deltas=True)
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
    refs = A.dinucleotide_references(x, n_shuffles=5, seed=1)
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
    per_task = [A.deepshap(model, x, refs, target=t) for t in range(3)]
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
