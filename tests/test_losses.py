"""Correctness losses: plain and class-balanced BCE on logits, with ambiguous (-1) labels;
the profile models' multinomial NLL and NLL + counts-MSE loss."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from attrprior.losses import (
    LOSSES,
    binary_cross_entropy,
    check_labels,
    class_balanced_bce,
    multinomial_nll,
    profile_loss,
)

# softplus(z) = log(1 + e^z); BCE(z, 1) = softplus(-z), BCE(z, 0) = softplus(z).
SOFTPLUS_M2 = 0.1269280110429725  # log(1 + e^-2): logit 2, label 1
SOFTPLUS_M1 = 0.31326168751822286  # log(1 + e^-1): logit -1, label 0
SOFTPLUS_05 = 0.9740769841801067  # log(1 + e^0.5): logit 0.5, label 0
LOG2 = 0.6931471805599453  # logit 0, either label


def tiny():
    """Two examples x two tasks; the last entry is ambiguous (its logit must not matter)."""
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    return logits, labels


def numpy_balanced_bce(logits, labels):
    """Independent reimplementation: per-class means of the probability-space BCE."""
    z, y = logits.ravel(), labels.ravel()
    p = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    means = [bce[y == c].mean() for c in (1, 0) if np.any(y == c)]
    return float(np.mean(means)) if means else 0.0


def test_hand_computed_values():
    logits, labels = tiny()
    # Positives: {2 -> 0.126928}; negatives: {-1 -> 0.313262, 0.5 -> 0.974077}.
    # balanced = (0.126928 + (0.313262 + 0.974077) / 2) / 2 = (0.126928 + 0.643669) / 2
    balanced = (SOFTPLUS_M2 + (SOFTPLUS_M1 + SOFTPLUS_05) / 2) / 2
    assert balanced == pytest.approx(0.3852986734460686)
    assert class_balanced_bce(logits, labels).item() == pytest.approx(balanced, rel=1e-12)
    # plain = (0.126928 + 0.313262 + 0.974077) / 3 = 0.471422
    plain = (SOFTPLUS_M2 + SOFTPLUS_M1 + SOFTPLUS_05) / 3
    assert binary_cross_entropy(logits, labels).item() == pytest.approx(plain, rel=1e-12)


def test_one_class_absent_uses_the_other_alone():
    logits = torch.tensor([[0.0], [2.0], [5.0]])
    # No negatives: the positive mean, (log 2 + log(1 + e^-2)) / 2 = 0.410038.
    labels = torch.tensor([[1.0], [1.0], [-1.0]])
    expected = (LOG2 + SOFTPLUS_M2) / 2
    assert class_balanced_bce(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    # No positives: the negative mean.
    labels = torch.tensor([[0.0], [-1.0], [0.0]])
    expected = (LOG2 + F.softplus(torch.tensor(5.0)).item()) / 2
    assert class_balanced_bce(logits, labels).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("loss", [binary_cross_entropy, class_balanced_bce])
def test_no_labelled_entry_gives_zero_in_the_graph(loss):
    logits = torch.randn(4, 2, requires_grad=True)
    value = loss(logits, -torch.ones(4, 2))
    assert value.item() == 0.0 and value.requires_grad
    value.backward()
    assert torch.equal(logits.grad, torch.zeros(4, 2))


def test_matches_numpy_on_random_inputs_with_ambiguous_labels():
    rng = np.random.default_rng(0)
    for n, t in [(128, 1), (64, 4), (7, 3)]:
        logits = rng.normal(scale=3.0, size=(n, t))
        labels = rng.choice([1.0, 0.0, -1.0], p=[0.2, 0.6, 0.2], size=(n, t))
        got = class_balanced_bce(torch.tensor(logits), torch.tensor(labels)).item()
        assert got == pytest.approx(numpy_balanced_bce(logits, labels), rel=1e-10)


def test_ambiguous_entries_are_ignored_whatever_their_logit():
    logits, labels = tiny()
    changed = logits.detach().clone()
    changed[1, 1] = -1e4  # the -1 entry; an extreme logit must not change the loss
    for loss in (binary_cross_entropy, class_balanced_bce):
        assert loss(changed, labels).item() == loss(logits, labels).item()
        logits.grad = None
        loss(logits, labels).backward()
        assert logits.grad[1, 1] == 0


def test_equals_plain_bce_iff_positive_and_negative_entry_counts_match():
    rng = np.random.default_rng(1)
    logits = torch.tensor(rng.normal(size=(8, 3)))
    # 12 positive, 12 negative entries (spread unevenly over examples and tasks): equal.
    labels = torch.tensor(rng.permutation([1.0] * 12 + [0.0] * 12).reshape(8, 3))
    plain = F.binary_cross_entropy_with_logits(logits, labels)
    assert class_balanced_bce(logits, labels).item() == pytest.approx(plain.item(), rel=1e-12)
    assert binary_cross_entropy(logits, labels).item() == pytest.approx(plain.item(), rel=1e-12)
    # Still equal with ambiguous entries, as long as the labelled counts match (4 and 4).
    labels = torch.tensor([[1.0, 0.0, -1.0]] * 4 + [[-1.0, -1.0, -1.0]] * 4)
    assert class_balanced_bce(logits, labels).item() == pytest.approx(
        binary_cross_entropy(logits, labels).item(), rel=1e-12
    )
    # A batch balanced in *examples* (4 positive, 4 negative, multi-task) is not balanced in
    # entries: each positive example has 1 positive task and 2 negative ones -> 4 vs 20.
    labels = torch.tensor([[1.0, 0.0, 0.0]] * 4 + [[0.0, 0.0, 0.0]] * 4)
    assert class_balanced_bce(logits, labels).item() != pytest.approx(
        binary_cross_entropy(logits, labels).item(), rel=1e-3
    )


def test_plain_bce_matches_torch_when_all_labelled():
    rng = np.random.default_rng(2)
    logits = torch.tensor(rng.normal(size=(16, 2)), dtype=torch.float32)
    labels = torch.tensor(rng.integers(0, 2, size=(16, 2)), dtype=torch.float32)
    expected = F.binary_cross_entropy_with_logits(logits, labels)
    torch.testing.assert_close(binary_cross_entropy(logits, labels), expected)


def test_gradient_matches_the_closed_form():
    logits, labels = tiny()
    class_balanced_bce(logits, labels).backward()
    # d/dz BCE = sigmoid(z) - y; each class mean is divided by its count, then by 2 classes.
    s = torch.sigmoid(logits.detach())
    expected = torch.tensor(
        [
            [(s[0, 0] - 1) / (1 * 2), (s[0, 1] - 0) / (2 * 2)],
            [(s[1, 0] - 0) / (2 * 2), 0.0],
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(logits.grad, expected)


def test_large_logits_stay_exact():
    # float32 sigmoid(20) rounds to 1; the logit form still gives BCE(20, 0) = 20 + log(1 + e^-20).
    logits = torch.tensor([[20.0], [-20.0]])
    labels = torch.tensor([[0.0], [1.0]])
    assert class_balanced_bce(logits, labels).item() == pytest.approx(20.0, rel=1e-6)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="same shape"):
        class_balanced_bce(torch.zeros(4, 2), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="labels must be 1, 0 or -1"):
        binary_cross_entropy(torch.zeros(2, 1), torch.tensor([[0.5], [1.0]]))


def test_labels_are_checked_on_the_host():
    check_labels(np.array([[1, 0], [-1, 1]]))
    for bad in (np.array([[0.5]]), np.array([[1.0], [np.nan]]), np.array([2, 1])):
        with pytest.raises(ValueError, match="labels must be 1, 0 or -1"):
            check_labels(bad)


def test_labels_of_any_dtype_are_checked_exactly():
    logits, labels = tiny()
    logits = logits.detach().float()
    for dtype in (torch.bfloat16, torch.float16, torch.int8):
        assert binary_cross_entropy(logits, labels.to(dtype)) == binary_cross_entropy(
            logits, labels.float()
        )
    almost = labels.clone()
    almost[0, 0] = 1 + 1e-9  # not a label, though float32 would round it to 1
    with pytest.raises(ValueError, match="labels must be 1, 0 or -1"):
        binary_cross_entropy(logits.double(), almost)


@pytest.mark.parametrize("name", ["bce", "balanced_bce"])
def test_leading_axes_give_one_loss_each(name):
    """A pack's losses ``(S, N, T)`` → ``(S,)`` equal the loss of each ``(N, T)`` alone, also
    for a seed whose labels are all ambiguous and one with a single class."""
    rng = np.random.default_rng(4)
    logits = torch.tensor(rng.normal(size=(4, 6, 2)), requires_grad=True)
    labels = torch.tensor(rng.choice([1.0, 0.0, -1.0], size=(4, 6, 2)))
    labels[1] = -1.0
    labels[2] = labels[2].clamp(min=0) * 0 + 1.0
    losses = LOSSES[name](logits, labels)
    assert losses.shape == (4,)
    expected = torch.stack([LOSSES[name](logits[s], labels[s]) for s in range(4)])
    torch.testing.assert_close(losses, expected, rtol=1e-12, atol=1e-15)
    assert losses[1].item() == 0.0
    (grad,) = torch.autograd.grad(losses.sum(), logits)
    (expected_grad,) = torch.autograd.grad(expected.sum(), logits)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_registry_and_integer_labels():
    assert LOSSES == {"bce": binary_cross_entropy, "balanced_bce": class_balanced_bce}
    logits, labels = tiny()
    for loss in LOSSES.values():
        assert loss(logits, labels.long()).item() == loss(logits, labels).item()


# ---------------------------------------------------------------------------------------------
# Profile models
# ---------------------------------------------------------------------------------------------


def random_profiles(shape=(3, 2, 2, 25), seed=0):
    """Logits (float64, requiring grad), integer counts and log counts of shape[:-1]."""
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(size=shape), dtype=torch.float64, requires_grad=True)
    counts = torch.tensor(rng.poisson(rng.uniform(0.2, 4.0, size=shape)), dtype=torch.float64)
    log_counts = torch.tensor(rng.normal(2, 1, size=shape[:-1]), requires_grad=True)
    return logits, counts, log_counts


def numpy_nll(logits, counts):
    """Independent reimplementation with scipy.special."""
    from scipy.special import gammaln, logsumexp

    log_p = logits - logsumexp(logits, axis=-1, keepdims=True)
    n = counts.sum(axis=-1)
    return -(gammaln(n + 1) - gammaln(counts + 1).sum(axis=-1) + (counts * log_p).sum(axis=-1))


def test_multinomial_nll_matches_scipy_logpmf():
    from scipy.special import softmax
    from scipy.stats import multinomial

    logits, counts, _ = random_profiles()
    nll = multinomial_nll(logits, counts)
    assert nll.shape == (3, 2, 2) and nll.dtype == torch.float64
    z, x = logits.detach().numpy(), counts.numpy()
    for index in np.ndindex(*nll.shape):
        p = softmax(z[index])
        expected = -multinomial.logpmf(x[index], int(x[index].sum()), p)
        assert nll[index].item() == pytest.approx(expected, rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(nll.detach().numpy(), numpy_nll(z, x), rtol=1e-12)


def test_multinomial_nll_of_an_empty_track_is_zero_and_shapes_are_checked():
    logits = torch.randn(2, 1, 1, 10, dtype=torch.float64)
    counts = torch.zeros(2, 1, 1, 10, dtype=torch.float64)
    counts[1, 0, 0, 3] = 5.0  # all reads at one position: NLL = -5 log p_3
    nll = multinomial_nll(logits, counts)
    assert nll[0, 0, 0].item() == 0.0
    expected = -5 * torch.log_softmax(logits[1, 0, 0], dim=-1)[3]
    assert nll[1, 0, 0].item() == pytest.approx(expected.item(), rel=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        multinomial_nll(logits, counts[..., :5])


def test_profile_loss_is_mean_nll_plus_weighted_count_mse():
    logits, counts, log_counts = random_profiles(seed=1)
    z, x, c = (a.detach().numpy() for a in (logits, counts, log_counts))
    mse = np.mean((np.log1p(x.sum(axis=-1)) - c) ** 2)
    for weight in (20.0, 0.0, 3.5):
        expected = numpy_nll(z, x).mean() + weight * mse
        got = profile_loss(logits, log_counts, counts, count_weight=weight)
        assert got.shape == () and got.item() == pytest.approx(expected, rel=1e-12)
    assert profile_loss(logits, log_counts, counts).item() == pytest.approx(
        numpy_nll(z, x).mean() + 20 * mse, rel=1e-12
    )
    with pytest.raises(ValueError, match="log_counts"):
        profile_loss(logits, log_counts[:, 0], counts)


def test_profile_loss_with_a_leading_seed_axis_is_each_seeds_loss():
    packs = [random_profiles(seed=seed) for seed in (3, 4, 5)]
    logits, counts, log_counts = (torch.stack(parts) for parts in zip(*packs, strict=True))
    losses = profile_loss(logits, log_counts, counts)
    assert losses.shape == (3,)
    for loss, (seed_logits, seed_counts, seed_log_counts) in zip(losses, packs, strict=True):
        assert loss.item() == profile_loss(seed_logits, seed_log_counts, seed_counts).item()
    with pytest.raises(ValueError, match="N, T, S, L"):
        profile_loss(logits[0, 0], log_counts[0, 0], counts[0, 0])


def test_profile_loss_gradcheck_float64():
    logits, counts, log_counts = random_profiles(shape=(2, 2, 1, 7), seed=2)
    assert torch.autograd.gradcheck(
        lambda z, c: profile_loss(z, c, counts, count_weight=20.0), (logits, log_counts)
    )
    assert torch.autograd.gradcheck(lambda z: multinomial_nll(z, counts), (logits,))
