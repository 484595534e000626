"""The Tseng et al. profile model: shapes, cropping arithmetic, controls, seeding, checkpoints."""

import numpy as np
import pytest
import torch
from torch import nn

from attrprior.models import (
    ARCHITECTURES,
    TsengProfileCNN,
    build_model,
    dilated_valid_length,
    load_checkpoint,
    save_checkpoint,
)

# A tiny model: 64 -> 64 - (4 + 2*2 + 4*2) = 48 cropped -> 48 - 8 = 40 output positions.
TINY = dict(length=64, n_filters=6, kernel_sizes=(5, 3, 3), profile_kernel_size=9)
TINY_OUT = 40


def one_hot(n, length, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    return torch.as_tensor(x)


def control(n, n_tasks, strands, length=TINY_OUT, seed=1):
    rng = np.random.default_rng(seed)
    return torch.as_tensor(rng.poisson(2.0, (n, n_tasks, strands, length)).astype(np.float32))


def tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    return TsengProfileCNN(**{**TINY, **kwargs}).eval()


def test_paper_arithmetic_and_output_shapes():
    assert dilated_valid_length(1346, (21,) + (3,) * 6, tuple(2**i for i in range(7))) == 1074
    torch.manual_seed(0)
    model = TsengProfileCNN(n_tasks=2).eval()
    assert model.cropped_length == 1074 and model.output_length == 1000
    assert [c.dilation[0] for c in model.convs] == [1, 2, 4, 8, 16, 32, 64]
    assert [c.kernel_size[0] for c in model.convs] == [21, 3, 3, 3, 3, 3, 3]
    assert all(c.out_channels == 64 for c in model.convs)
    assert model.profile_conv.kernel_size == (75,)
    assert model.profile_mix.groups == model.counts_mix.groups == 2
    with torch.no_grad():
        logits, log_counts = model(one_hot(2, 1346), control(2, 2, 2, 1000))
    assert logits.shape == (2, 2, 2, 1000) and log_counts.shape == (2, 2, 2)
    with pytest.raises(ValueError, match="output_length=999"):
        TsengProfileCNN(output_length=999)
    assert TsengProfileCNN(output_length=1000, control_strands=None).output_length == 1000


def test_every_relu_is_its_own_module():
    model = TsengProfileCNN(**TINY)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 3 and len({id(m) for m in relus}) == 3
    assert not any(m.inplace for m in relus)


def test_each_layer_reads_the_sum_of_all_earlier_outputs():
    model = tiny(control_strands=None)
    x = one_hot(2, 64)
    outputs = []
    for i, (conv, relu) in enumerate(zip(model.convs, model.relus, strict=True)):
        outputs.append(relu(conv(x if i == 0 else sum(outputs))))
    start = (64 - 48) // 2
    torch.testing.assert_close(model.body(x), outputs[-1][:, :, start : start + 48])


def test_output_position_sees_exactly_its_input_window():
    # Output j depends on input positions j .. j + (64 - 40), never on the zero padding.
    model = tiny(control_strands=None, n_strands=1)
    x = one_hot(1, 64).requires_grad_(True)
    logits, _ = model(x)
    span = 64 - TINY_OUT
    for j in (0, 17, TINY_OUT - 1):
        (grad,) = torch.autograd.grad(logits[0, 0, 0, j], x, retain_graph=True)
        touched = torch.nonzero(grad[0].abs().sum(dim=0)).flatten()
        assert touched.min() >= j and touched.max() <= j + span
        assert len(touched) > span // 2


def test_padding_never_reaches_the_output():
    # Same weights on a longer input: the profile logits are the same, shifted (translation
    # equivariance holds only if no cropped position saw padding).
    short = tiny(control_strands=None)
    torch.manual_seed(0)
    long = TsengProfileCNN(**{**TINY, "length": 64 + 20}, control_strands=None).eval()
    long.load_state_dict(short.state_dict())
    x = one_hot(2, 64)
    y = torch.cat([one_hot(2, 10, seed=3), x, one_hot(2, 10, seed=4)], dim=2)
    with torch.no_grad():
        a, _ = short(x)
        b, _ = long(y)
    assert b.shape[-1] == TINY_OUT + 20
    torch.testing.assert_close(b[..., 10 : 10 + TINY_OUT], a)


def test_grouped_convolutions_use_only_their_own_tasks_control():
    # The reference's counts head: raw totals, PyTorch's initialisation of the mixing.
    model = tiny(
        n_tasks=3,
        n_strands=2,
        control_strands=1,
        log_control_counts=False,
        counts_mix_init="pytorch",
    )
    x, ctrl = one_hot(2, 64), control(2, 3, 1)
    changed = ctrl.clone()
    changed[:, 1] += 5.0  # task 1's control only: more reads everywhere
    with torch.no_grad():
        logits, counts = model(x, ctrl)
        logits2, counts2 = model(x, changed)
    for task in (0, 2):
        assert torch.equal(logits[:, task], logits2[:, task])
        assert torch.equal(counts[:, task], counts2[:, task])
    assert not torch.equal(logits[:, 1], logits2[:, 1])
    assert not torch.equal(counts[:, 1], counts2[:, 1])
    assert model.profile_mix.weight.shape == (6, 3, 1)  # per task: (S + S_c) inputs
    # The control counts enter as raw sums over positions.
    shift = torch.zeros_like(ctrl)
    shift[:, 1, 0, 0] = 7.0
    with torch.no_grad():
        _, counts3 = model(x, ctrl + shift)
    torch.testing.assert_close(
        counts3[:, 1] - counts[:, 1],
        7.0 * model.counts_mix.weight[2:4, 2, 0].expand(2, 2),
    )
    # Or as log(1 + sum), the default.
    logged = tiny(n_tasks=3, n_strands=2, control_strands=1, counts_mix_init="pytorch")
    assert logged.log_control_counts
    logged.load_state_dict(model.state_dict())
    with torch.no_grad():
        _, counts4 = logged(x, ctrl + shift)
        _, counts5 = logged(x, ctrl)
    totals = (ctrl + shift)[:, 1, 0].sum(-1), ctrl[:, 1, 0].sum(-1)
    torch.testing.assert_close(
        counts4[:, 1] - counts5[:, 1],
        (torch.log1p(totals[0]) - torch.log1p(totals[1]))[:, None]
        * model.counts_mix.weight[2:4, 2, 0],
    )


def test_the_counts_mixing_starts_as_the_identity():
    # By default each strand's own count passes through and the control's weight is 0: at
    # initialisation the log counts are the counts head's own, whatever the control.
    model = tiny(n_tasks=2, n_strands=2, control_strands=2)
    weight = model.counts_mix.weight[:, :, 0]  # (T*S, S + S_c)
    torch.testing.assert_close(weight, torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]] * 2))
    assert torch.equal(model.counts_mix.bias, torch.zeros(4))
    x, ctrl = one_hot(3, 64), control(3, 2, 2)
    with torch.no_grad():
        _, counts = model(x, ctrl)
        _, counts_more = model(x, ctrl * 10)
        own = model.counts_dense(model.body(x).mean(dim=-1)).view(3, 2, 2)
    torch.testing.assert_close(counts, counts_more)
    torch.testing.assert_close(counts, own)
    # PyTorch's initialisation (the reference) gives the control a weight from the start.
    reference = tiny(n_tasks=2, n_strands=2, control_strands=2, counts_mix_init="pytorch")
    assert (reference.counts_mix.weight[:, 2:] != 0).all()
    # Without controls the identity start holds too; the profile mixing is untouched.
    assert torch.equal(
        tiny(control_strands=None, n_tasks=1).counts_mix.weight[:, :, 0], torch.eye(2)
    )
    assert (model.profile_mix.weight != 0).all()
    with pytest.raises(ValueError, match="counts_mix_init"):
        tiny(counts_mix_init="zeros")


def test_profile_checkpoints_without_the_control_setting_load_raw_totals(tmp_path):
    from attrprior.models import load_checkpoint, save_checkpoint

    model = tiny(n_tasks=1, n_strands=2, control_strands=2, log_control_counts=False)
    architecture = {"architecture": "tseng_profile", **TINY, "n_tasks": 1, "control_strands": 2}
    save_checkpoint(tmp_path / "old.pt", model.state_dict(), architecture)
    loaded, _ = load_checkpoint(tmp_path / "old.pt")
    assert loaded.log_control_counts is False
    x, ctrl = one_hot(2, 64), control(2, 1, 2)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, ctrl)[1], model(x, ctrl)[1])
    save_checkpoint(
        tmp_path / "new.pt", model.state_dict(), {**architecture, "log_control_counts": True}
    )
    assert load_checkpoint(tmp_path / "new.pt")[0].log_control_counts is True


def test_a_shared_control_is_broadcast_to_every_task():
    model = tiny(n_tasks=2, n_strands=2, control_strands=2)
    x, shared = one_hot(3, 64), control(3, 1, 2)
    with torch.no_grad():
        a = model(x, shared)
        b = model(x, shared.expand(-1, 2, -1, -1).contiguous())
    torch.testing.assert_close(a, b)


def test_models_without_controls_and_control_shape_errors():
    model = tiny(n_tasks=2, n_strands=1, control_strands=None)
    logits, counts = model(one_hot(2, 64))
    assert logits.shape == (2, 2, 1, TINY_OUT) and counts.shape == (2, 2, 1)
    assert model.profile_mix.weight.shape == (2, 1, 1)
    with pytest.raises(ValueError, match="without controls"):
        model(one_hot(2, 64), control(2, 2, 1))
    with_control = tiny(n_tasks=2, control_strands=1)
    with pytest.raises(ValueError, match="needs control"):
        with_control(one_hot(2, 64))
    with pytest.raises(ValueError, match="control: expected"):
        with_control(one_hot(2, 64), control(2, 3, 1))
    with pytest.raises(ValueError, match=r"x: expected \(N, 4, 64\)"):
        with_control(one_hot(2, 60), control(2, 2, 1))
    with pytest.raises(ValueError, match="odd"):
        TsengProfileCNN(kernel_sizes=(4, 3))


def test_same_seed_same_model_different_seed_different():
    def outputs(seed):
        with torch.no_grad():
            return tiny(seed, n_tasks=2)(one_hot(2, 64), control(2, 2, 2))

    a, b, c = outputs(3), outputs(3), outputs(4)
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0])


def test_build_model_and_checkpoint_round_trip(tmp_path):
    assert "tseng_profile" in ARCHITECTURES
    architecture = {"architecture": "tseng_profile", **TINY, "n_tasks": 2, "control_strands": 1}
    torch.manual_seed(0)
    model = build_model(**architecture, activation="relu")
    assert isinstance(model, TsengProfileCNN)
    with pytest.raises(ValueError, match="activation"):
        build_model(**architecture, activation="exponential")
    save_checkpoint(tmp_path / "m.pt", model.state_dict(), architecture, seed=0)
    loaded, checkpoint = load_checkpoint(tmp_path / "m.pt")
    assert checkpoint["seed"] == 0 and not loaded.training
    x, ctrl = one_hot(2, 64), control(2, 2, 1)
    with torch.no_grad():
        expected = model.eval()(x, ctrl)
        got = loaded(x, ctrl)
    assert all(torch.equal(u, v) for u, v in zip(expected, got, strict=True))
