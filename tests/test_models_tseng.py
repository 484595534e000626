"""The Tseng et al. binary model: shapes, layer order, DeepLIFT safety, seeding, routing; its
BatchNorm input gradients, batch-summed and with the batch statistics held fixed."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from attrprior import attribution as A
from attrprior import deepshap as DS
from attrprior.models import (
    ARCHITECTURES,
    BatchNorm1d,
    TsengBinaryCNN,
    build_model,
    fixed_batch_statistics,
    load_checkpoint,
    save_checkpoint,
)

L = 1000


def one_hot(n, length=L, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    return x


def trained_batchnorm_model(n_tasks=2, seed=0):
    """A seeded model whose BatchNorm running statistics are not the identity defaults."""
    torch.manual_seed(seed)
    model = TsengBinaryCNN(length=L, n_tasks=n_tasks)
    with torch.no_grad():
        model.train()
        for s in range(3):
            model(torch.as_tensor(one_hot(16, seed=100 + s)))
    return model.eval()


def test_positions_and_flattened_size_follow_the_paper():
    model = TsengBinaryCNN()
    x = torch.as_tensor(one_hot(2))
    lengths = []
    for module in model.body:
        x = module(x)
        if isinstance(module, nn.Conv1d | nn.MaxPool1d):
            lengths.append(x.shape[-1])
    assert lengths == [986, 972, 960, 24]
    assert x.shape == (2, 64, 24)
    assert model.head[1].in_features == 24 * 64 == 1536
    assert [m.out_features for m in model.modules() if isinstance(m, nn.Linear)] == [50, 15, 1]


@pytest.mark.parametrize("n_tasks", [1, 4])
def test_output_is_logits_per_task(n_tasks):
    torch.manual_seed(0)
    model = TsengBinaryCNN(n_tasks=n_tasks).eval()
    out = model(torch.as_tensor(one_hot(3)))
    assert out.shape == (3, n_tasks)
    # Logits, not probabilities: nothing bounds them to [0, 1] (no final sigmoid module).
    assert not any(isinstance(m, nn.Sigmoid) for m in model.modules())


def test_layer_order_is_conv_relu_batchnorm_dropout():
    model = TsengBinaryCNN(dropout=0.25)
    kinds = [type(m).__name__ for m in model.body]
    assert kinds == ["Conv1d", "ReLU", "BatchNorm1d", "Dropout"] * 3 + ["MaxPool1d"]
    kinds = [type(m).__name__ for m in model.head]
    assert kinds == ["Flatten"] + ["Linear", "ReLU", "BatchNorm1d", "Dropout"] * 2
    convs = [m for m in model.body if isinstance(m, nn.Conv1d)]
    assert [c.kernel_size[0] for c in convs] == [15, 15, 13]
    assert all(c.padding == (0,) and c.stride == (1,) for c in convs)
    assert all(m.p == 0.25 for m in model.modules() if isinstance(m, nn.Dropout))
    # PyTorch BatchNorm defaults, as in the reference.
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(bns) == 5 and all(m.momentum == 0.1 and m.eps == 1e-5 for m in bns)


def test_flatten_is_channel_major():
    # Feature c * 24 + p of the flattened vector is channel c at pooled position p, as the
    # reference's view(batch, -1) of the (N, C, L) pooled tensor.
    torch.manual_seed(0)
    model = TsengBinaryCNN().eval()
    x = torch.as_tensor(one_hot(2))
    pooled = model.body(x)
    flat = model.head[0](pooled)
    assert torch.equal(flat[:, 5 * 24 + 7], pooled[:, 5, 7])


def test_every_relu_is_its_own_module_and_pooling_does_not_overlap():
    model = TsengBinaryCNN()
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 5 and len({id(m) for m in relus}) == 5
    assert not any(m.inplace for m in relus)
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool1d)]
    assert len(pools) == 1 and pools[0].kernel_size == pools[0].stride == 40


def test_deepshap_convergence_deltas_are_small():
    model = trained_batchnorm_model(n_tasks=2)
    x = one_hot(3, seed=7)
    refs = DS.dinucleotide_references(x, n_shuffles=4, seed=1)
    hyp, deltas = DS.deepshap(model, x, refs, target=1, batch_size=12, return_deltas=True)
    assert hyp.shape == x.shape and deltas.shape == (3, 4)
    with torch.no_grad():
        fx = model(torch.as_tensor(x))[:, 1].numpy()
        fr = model(torch.as_tensor(refs.reshape(-1, 4, L)))[:, 1].numpy().reshape(3, 4)
    # Deltas are absolute; compare them with the differences they must explain.
    scale = np.abs(fx[:, None] - fr).max()
    assert scale > 1e-3
    assert deltas.max() < 1e-3 * scale
    # Additivity of the averaged scores: sum(x * hyp) = f(x) - mean_k f(r_k).
    np.testing.assert_allclose((x * hyp).sum(axis=(1, 2)), fx - fr.mean(axis=1), atol=1e-3 * scale)
    # The check has teeth: plain gradients (x - r) * grad f(x) miss by a fraction of the scale.
    grad = A.saliency(model, x, target=1)
    linear = ((x[:, None] - refs) * grad[:, None]).sum(axis=(2, 3))
    assert np.abs(fx[:, None] - fr - linear).max() > 0.1 * scale


def test_same_seed_same_weights_different_seed_different():
    def weights(seed):
        torch.manual_seed(seed)
        return torch.cat([p.flatten() for p in TsengBinaryCNN(n_tasks=3).parameters()])

    assert torch.equal(weights(5), weights(5))
    assert not torch.equal(weights(5), weights(6))


def test_build_model_routes_and_refuses_other_activations():
    assert "tseng_binary" in ARCHITECTURES
    torch.manual_seed(0)
    built = build_model("tseng_binary", length=L, n_tasks=2)
    torch.manual_seed(0)
    direct = TsengBinaryCNN(length=L, n_tasks=2)
    assert isinstance(built, TsengBinaryCNN)
    for a, b in zip(built.state_dict().values(), direct.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # ReLU is what the model uses, so naming it is allowed; anything else is an error.
    assert isinstance(build_model("tseng_binary", activation="relu", length=L), TsengBinaryCNN)
    with pytest.raises(ValueError, match="activation"):
        build_model("tseng_binary", activation="exponential", length=L)
    with pytest.raises(TypeError):
        TsengBinaryCNN(activation="relu")  # the class itself takes no activation


def test_the_koo_models_do_not_accept_the_tseng_name():
    from attrprior.models import KooCNN

    with pytest.raises(ValueError, match="architecture"):
        KooCNN("tseng_binary")


def test_too_short_inputs_are_named():
    with pytest.raises(ValueError, match="length=79"):
        TsengBinaryCNN(length=79)
    assert TsengBinaryCNN(length=80).head[1].in_features == 64


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    architecture = {"architecture": "tseng_binary", "length": L, "n_tasks": 2}
    model = trained_batchnorm_model()
    save_checkpoint(tmp_path / "m.pt", model.state_dict(), architecture)
    loaded, _ = load_checkpoint(tmp_path / "m.pt")
    x = torch.as_tensor(one_hot(2))
    assert torch.equal(loaded(x), model(x))


def test_batch_summed_input_gradient_vanishes_in_training_mode():
    """A property of the reference architecture that the priors' training inherits: the last
    hidden layer ends in BatchNorm (after its ReLU, dropout 0), so in training mode each
    task's logits summed over the batch equal ``N (w · beta + b)`` whatever the inputs, and
    the input gradient of that sum, which the reference's prior is computed from
    (``grad_outputs`` of ones in ``train_binary_model.py``), is zero in exact arithmetic: what
    is left is round-off, thousands of times smaller than the same gradient in evaluation
    mode."""
    torch.manual_seed(0)
    model = TsengBinaryCNN(length=1000, n_tasks=2)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(
        np.eye(4, dtype=np.float32)[rng.integers(0, 4, (64, 1000))].transpose(0, 2, 1).copy()
    )
    gradients = {}
    for mode in ("train", "eval"):
        getattr(model, mode)()
        inputs = x.clone().requires_grad_(True)
        logits = model(inputs)
        (gradients[mode],) = torch.autograd.grad(logits.sum(), inputs)
        if mode == "train":
            expected = 64 * (model.output.weight @ model.head[-2].bias + model.output.bias)
            torch.testing.assert_close(logits.sum(dim=0), expected, rtol=1e-4, atol=1e-4)
    assert gradients["train"].abs().max() < 1e-3 * gradients["eval"].abs().max()


def batch_statistics(model, x):
    """Per BatchNorm layer, the (mean, biased variance) of the batch ``x`` in training mode."""
    stats, hooks = {}, []
    for name, layer in model.named_modules():
        if isinstance(layer, BatchNorm1d):

            def record(module, inputs, name=name):
                h = inputs[0]
                dims = [0] if h.dim() == 2 else [0, 2]
                var, mean = torch.var_mean(h.detach(), dims, correction=0)
                stats[name] = (mean, var)

            hooks.append(layer.register_forward_pre_hook(record))
    model.train()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return stats


def test_fixed_batch_statistics_give_each_example_its_own_gradient():
    """Held fixed, the batch statistics make training mode's input gradient of the summed
    logits each example's own gradient: the one evaluation mode gives when the running
    statistics are the batch's (an independent construction), with the same outputs and
    the running statistics left alone. The batch-summed gradient of the reference is
    round-off beside it (the test above)."""
    torch.manual_seed(0)
    model = TsengBinaryCNN(length=300, n_tasks=2)
    x = torch.as_tensor(
        np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, (16, 300))]
        .transpose(0, 2, 1)
        .copy()
    )
    stats = batch_statistics(model, x)
    evaluated = copy.deepcopy(model).eval()
    for name, (mean, var) in stats.items():
        layer = evaluated.get_submodule(name)
        layer.running_mean.copy_(mean)
        layer.running_var.copy_(var)
    inputs = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(evaluated(inputs).sum(), inputs)

    model.train()
    before = {name: buffer.clone() for name, buffer in model.named_buffers()}
    with torch.no_grad():
        ordinary = model(x)
    model.load_state_dict({**model.state_dict(), **before})
    inputs = x.clone().requires_grad_(True)
    with fixed_batch_statistics(model):
        logits = model(inputs)
    (gradient,) = torch.autograd.grad(logits.sum(), inputs)
    torch.testing.assert_close(logits, ordinary)
    torch.testing.assert_close(gradient, expected, rtol=1e-4, atol=1e-6)
    assert gradient.abs().max() > 1e-5
    for name, buffer in model.named_buffers():
        assert torch.equal(buffer, before[name]), name
    assert not any(getattr(m, "fixed_statistics", False) for m in model.modules())


def test_fixed_batch_statistics_refuse_other_batchnorm_layers():
    model = nn.Sequential(nn.Conv1d(4, 3, 5), nn.BatchNorm1d(3))
    with pytest.raises(TypeError, match="BatchNorm1d"):
        with fixed_batch_statistics(model):
            pass
