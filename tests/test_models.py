"""Shapes, Keras-matched initialisation and DeepLIFT safety of the CNNs."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from attrprior.models import (
    BatchNorm1d,
    Exp,
    KooCNN,
    build_model,
    he_normal_,
    load_checkpoint,
    save_checkpoint,
)


@pytest.mark.parametrize("architecture", ["cnn_shallow", "cnn_deep"])
@pytest.mark.parametrize("activation", ["relu", "exponential"])
def test_output_shape(architecture, activation):
    torch.manual_seed(0)
    model = build_model(architecture, activation=activation, length=200, n_tasks=3).eval()
    assert model(torch.rand(5, 4, 200)).shape == (5, 3)


def test_flattened_sizes_match_the_keras_models():
    # Shallow: 200 -> pool 50 -> 4 -> pool 2 -> 2 positions x 48 filters.
    assert KooCNN("cnn_shallow").head[1].in_features == 2 * 48
    # Deep: 200 -> 50 -> 12 -> 4 positions x 64 filters.
    assert KooCNN("cnn_deep").head[1].in_features == 4 * 64


def test_first_layer_activation_is_the_requested_module():
    relu = KooCNN("cnn_shallow", "relu")
    exp = KooCNN("cnn_shallow", "exponential")
    assert isinstance(relu.body[2], nn.ReLU)
    assert isinstance(exp.body[2], Exp)
    # Later layers stay ReLU.
    assert sum(isinstance(m, Exp) for m in exp.modules()) == 1


def test_every_nonlinearity_is_a_distinct_module_and_pooling_does_not_overlap():
    for architecture in ("cnn_shallow", "cnn_deep"):
        model = KooCNN(architecture, "exponential")
        activations = [m for m in model.modules() if isinstance(m, nn.ReLU | Exp)]
        assert len({id(m) for m in activations}) == len(activations)
        assert not any(getattr(m, "inplace", False) for m in activations)
        for pool in (m for m in model.modules() if isinstance(m, nn.MaxPool1d)):
            assert pool.kernel_size == pool.stride


def test_batchnorm_matches_keras_defaults():
    bns = [m for m in KooCNN("cnn_deep").modules() if isinstance(m, nn.BatchNorm1d)]
    assert bns and all(m.momentum == 0.01 and m.eps == 1e-3 for m in bns)


def test_he_normal_is_truncated_with_keras_variance():
    torch.manual_seed(0)
    weight = torch.empty(256, 64, 19)
    he_normal_(weight)
    fan_in = 64 * 19
    limit = 2 * math.sqrt(2 / fan_in) / 0.87962566103423978
    assert weight.abs().max() <= limit + 1e-7
    # The rescaling makes the truncated variance equal to 2 / fan_in.
    assert weight.var().item() == pytest.approx(2 / fan_in, rel=0.02)


def test_biases_start_at_zero_and_kernel_l2_counts_only_kernels():
    model = KooCNN("cnn_shallow")
    assert all(torch.all(m.bias == 0) for m in model.modules() if isinstance(m, nn.Conv1d))
    expected = 1e-6 * sum(
        m.weight.pow(2).sum()
        for m in [*model.body, *model.head]
        if isinstance(m, nn.Conv1d | nn.Linear)
    )
    assert model.kernel_l2().item() == pytest.approx(expected.item())
    assert model.kernel_l2().item() < 1e-6 * sum(p.pow(2).sum() for p in model.parameters())


def test_kernel_l2_of_a_packs_stacked_parameters_is_each_models():
    models = []
    for seed in range(3):
        torch.manual_seed(seed)
        models.append(KooCNN("cnn_deep"))
    own = [dict(m.named_parameters()) for m in models]
    stacked = {name: torch.stack([p[name] for p in own]) for name in own[0]}
    penalties = models[0].kernel_l2(stacked)
    assert penalties.shape == (3,)
    torch.testing.assert_close(penalties, torch.stack([m.kernel_l2() for m in models]))


def test_same_seed_same_weights_different_seed_different():
    def weights(seed):
        torch.manual_seed(seed)
        return torch.cat([p.flatten() for p in KooCNN("cnn_deep").parameters()])

    assert torch.equal(weights(3), weights(3))
    assert not torch.equal(weights(3), weights(4))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="architecture"):
        build_model("cnn_wide")
    with pytest.raises(ValueError, match="activation"):
        KooCNN("cnn_shallow", "tanh")
    with pytest.raises(ValueError, match="length"):
        KooCNN("cnn_deep", length=20)


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    architecture = {"architecture": "cnn_shallow", "activation": "exponential", "length": 200}
    model = build_model(**architecture).eval()
    path = tmp_path / "model.pt"
    save_checkpoint(path, model.state_dict(), architecture, seed=7)
    loaded, checkpoint = load_checkpoint(path)
    x = torch.as_tensor(
        np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (3, 200))]
    )
    x = x.transpose(1, 2)
    assert checkpoint["seed"] == 7
    assert not loaded.training
    assert torch.equal(loaded(x), model(x))
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_identical_checkpoints_are_byte_identical(tmp_path):
    torch.manual_seed(0)
    model = build_model("cnn_shallow")
    for name in ("a.pt", "b.pt"):
        save_checkpoint(tmp_path / name, model.state_dict(), {"architecture": "cnn_shallow"})
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt", "b.pt"]  # no leftovers


def test_a_broken_checkpoint_is_named(tmp_path):
    model = build_model("cnn_shallow")
    path = tmp_path / "model.pt"
    save_checkpoint(path, model.state_dict(), {"architecture": "cnn_shallow"})
    whole = path.read_bytes()
    for cut in (len(whole) // 2, 100):
        path.write_bytes(whole[:cut])  # a write cut short
        with pytest.raises(ValueError, match=r"model\.pt: not a readable model checkpoint"):
            load_checkpoint(path)
    with pytest.raises(FileNotFoundError, match="model checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")


# --- BatchNorm1d: torch.nn.BatchNorm1d maths, cheaper double backward -------------------------


@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 7)])
@pytest.mark.parametrize("settings", [{}, {"momentum": 0.01, "eps": 1e-3}])
def test_batchnorm_matches_torch_to_second_order(shape, settings):
    torch.manual_seed(0)
    ours = BatchNorm1d(shape[1], **settings).double()
    reference = nn.BatchNorm1d(shape[1], **settings).double()
    with torch.no_grad():
        for module in (ours, reference):
            module.weight.copy_(torch.linspace(0.5, 1.5, shape[1]))
            module.bias.copy_(torch.linspace(-0.2, 0.3, shape[1]))

    def second_order(module, x):
        # The priors' pattern: input gradient with create_graph, then a loss on it.
        x = x.clone().requires_grad_(True)
        out = module(x)
        (grad,) = torch.autograd.grad((out * out.detach().sin()).sum(), x, create_graph=True)
        loss = grad.abs().sum() + out.square().mean()
        return [out, grad, *torch.autograd.grad(loss, [x, module.weight, module.bias])]

    for step in range(3):  # running statistics accumulate the same way
        x = torch.randn(*shape, dtype=torch.float64) * (step + 1) + step
        for a, b in zip(second_order(ours, x), second_order(reference, x), strict=True):
            torch.testing.assert_close(a, b)
    torch.testing.assert_close(ours.running_mean, reference.running_mean)
    torch.testing.assert_close(ours.running_var, reference.running_var)
    assert ours.num_batches_tracked.item() == reference.num_batches_tracked.item() == 3
    ours.eval(), reference.eval()
    x = torch.randn(*shape, dtype=torch.float64)
    torch.testing.assert_close(ours(x), reference(x))
    assert ours.state_dict().keys() == reference.state_dict().keys()


def test_batchnorm_statistics_sink_takes_the_update_instead_of_the_running_statistics():
    """With a sink, training mode hands over the batch mean and unbiased variance that the
    running statistics would have moved towards, and leaves them (and the output) as is."""
    torch.manual_seed(0)
    layer, reference = BatchNorm1d(3), nn.BatchNorm1d(3)
    x = torch.randn(5, 3, 7)
    sink = []
    layer.statistics_sink = sink
    torch.testing.assert_close(layer(x), reference(x))
    assert torch.equal(layer.running_mean, torch.zeros(3)) and layer.num_batches_tracked == 0
    ((owner, mean, variance),) = sink
    assert owner is layer
    torch.testing.assert_close(mean, x.mean(dim=(0, 2)))
    torch.testing.assert_close(variance, x.transpose(0, 1).flatten(1).var(dim=1))  # n - 1
    torch.testing.assert_close(torch.zeros(3).lerp(mean, 0.1), reference.running_mean)
    torch.testing.assert_close(torch.ones(3).lerp(variance, 0.1), reference.running_var)
