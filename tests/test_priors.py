"""Tests for attrprior.priors against hand-computed values and plain NumPy."""

import numpy as np
import pytest
import scipy.ndimage
import torch

from attrprior.priors import (
    PRIORS,
    angle_prior,
    fourier_prior,
    gaussian_kernel,
    l2_penalty,
    prior_loss,
    smooth_track,
    smoothness_prior,
    sparsity_prior,
)


@pytest.fixture(autouse=True)
def _single_thread():
    """Run each test on one intra-op thread, then restore the setting.

    The inputs here are tiny; on a busy shared CPU, thread synchronisation in
    fft/conv1d can cost milliseconds per call and make gradcheck take seconds.
    """

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _attr_from_track(track, seed=0):
    """A (N, 4, L) float64 tensor whose sum_b |a| equals `track` (N, L).

    The mass of each position is split over the bases with random signs, so
    the priors must take absolute values before summing.
    """

    rng = np.random.default_rng(seed)
    track = np.asarray(track, dtype=float)
    split = rng.dirichlet(np.ones(4), size=track.shape[::-1]).transpose(1, 2, 0)
    signs = rng.choice([-1.0, 1.0], size=split.shape)
    return torch.tensor(signs * split * track[:, None, :], dtype=torch.float64)


def _random_attr(n, length, seed):
    """Attributions with no zeros and (almost surely) no ties."""

    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.1, 1.0, size=(n, 4, length))
    signs = rng.choice([-1.0, 1.0], size=magnitude.shape)
    return torch.tensor(signs * magnitude, dtype=torch.float64)


def _reference_kernel(sigma):
    """The reference's kernel: scipy's Gaussian filter of a delta, truncate=1."""

    delta = np.zeros(2 * sigma + 1)
    delta[sigma] = 1.0
    return scipy.ndimage.gaussian_filter(delta, sigma=sigma, truncate=1)


def _numpy_fourier_prior(attr, freq_limit, limit_softness, smooth_sigma):
    """Straightforward float64 NumPy version of the Fourier prior (one loop)."""

    track = np.abs(attr).sum(axis=1)
    if smooth_sigma > 0:
        kernel = _reference_kernel(smooth_sigma)
        track = np.stack([np.convolve(row, kernel, mode="same") for row in track])
    losses = []
    for row in track:
        mags = np.abs(np.fft.rfft(row))
        mags = mags / mags.sum()
        score = 0.0
        for k in range(1, len(mags)):
            if k <= freq_limit:
                weight = 1.0
            elif limit_softness is None:
                weight = 0.0
            else:
                weight = 1.0 / (1.0 + (k - freq_limit) ** limit_softness)
            score += weight * mags[k]
        losses.append(1.0 - score)
    return np.array(losses)


# gaussian_kernel / smooth_track


def test_gaussian_kernel_sigma3_matches_reference_weights():
    expected = [0.1063, 0.1403, 0.1658, 0.1752, 0.1658, 0.1403, 0.1063]
    kernel = gaussian_kernel(3)
    assert kernel.shape == (7,)
    np.testing.assert_allclose(kernel.numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(kernel.numpy(), _reference_kernel(3), atol=1e-12)
    assert kernel.sum().item() == pytest.approx(1.0)


def test_gaussian_kernel_small_sigmas():
    assert gaussian_kernel(0).tolist() == [1.0]
    # sigma = 1: weights exp(-1/2), 1, exp(-1/2), normalised.
    e = np.exp(-0.5)
    np.testing.assert_allclose(gaussian_kernel(1).numpy(), [e, 1, e] / (1 + 2 * e), atol=1e-12)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(-1)


def test_smooth_track_zero_sigma_is_identity():
    track = torch.rand(3, 11, dtype=torch.float64)
    assert torch.equal(smooth_track(track, 0), track)


def test_smooth_track_by_hand_with_zero_padding():
    # sigma = 1, kernel [w, c, w]; a track of ones loses one weight at each end.
    e = np.exp(-0.5)
    w, c = e / (1 + 2 * e), 1 / (1 + 2 * e)
    smoothed = smooth_track(torch.ones(1, 4, dtype=torch.float64), 1)
    np.testing.assert_allclose(smoothed.numpy(), [[c + w, 1, 1, c + w]], atol=1e-12)


def test_smooth_track_matches_numpy_convolution():
    rng = np.random.default_rng(1)
    track = rng.random((4, 50))
    smoothed = smooth_track(torch.tensor(track), 3).numpy()
    expected = np.stack([np.convolve(row, _reference_kernel(3), mode="same") for row in track])
    np.testing.assert_allclose(smoothed, expected, atol=1e-12)


def test_gaussian_kernel_is_made_where_it_is_asked_for():
    assert gaussian_kernel(3, "meta").device.type == "meta"
    assert torch.equal(gaussian_kernel(3, "cpu"), gaussian_kernel(3))


def test_smooth_track_rejects_bad_shape():
    with pytest.raises(ValueError, match="track"):
        smooth_track(torch.ones(2, 4, 10), 3)


# fourier_prior


def test_fourier_prior_by_hand():
    # L = 4, no smoothing. rfft magnitudes of a delta are [1, 1, 1]: after
    # normalising (DC included) 1/3 each; k = 1, 2 remain. T = 1, s = 0.2:
    # w = [1, 1 / (1 + 1)] -> score 1/3 + 1/6 -> loss 1/2.
    # [1, 0, 1, 0]: magnitudes [2, 0, 2] -> [1/2, 0, 1/2] -> loss 1 - 1/4.
    # Flat [1, 1, 1, 1]: DC only -> loss 1.
    attr = _attr_from_track([[1, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]])
    loss = fourier_prior(attr, freq_limit=1, limit_softness=0.2, smooth_sigma=0)
    np.testing.assert_allclose(loss.numpy(), [0.5, 0.75, 1.0], atol=1e-12)

    # Hard cut: the k = 2 bin gets weight 0.
    hard = fourier_prior(attr, freq_limit=1, limit_softness=None, smooth_sigma=0)
    np.testing.assert_allclose(hard.numpy(), [2 / 3, 1.0, 1.0], atol=1e-12)


def test_fourier_prior_single_cosine_soft_and_hard():
    # g = 1 + cos(2 pi k0 i / L): |rfft| has L at DC and L/2 at k0, nothing
    # else, so m_hat(k0) = 1/3.
    length, freq_limit, k0 = 64, 5, 9
    i = np.arange(length)
    track = 1 + np.cos(2 * np.pi * k0 * i / length)
    attr = _attr_from_track(track[None])
    soft = fourier_prior(attr, freq_limit, limit_softness=0.2, smooth_sigma=0).item()
    hard = fourier_prior(attr, freq_limit, limit_softness=None, smooth_sigma=0).item()
    assert soft == pytest.approx(1 - (1 / 3) / (1 + (k0 - freq_limit) ** 0.2), abs=1e-10)
    assert hard == pytest.approx(1.0, abs=1e-10)

    # Below the limit the frequency is not penalised: loss 1 - 1/3.
    low = 1 + np.cos(2 * np.pi * 3 * i / length)
    attr_low = _attr_from_track(low[None])
    hard_low = fourier_prior(attr_low, freq_limit, limit_softness=None, smooth_sigma=0).item()
    assert hard_low == pytest.approx(2 / 3, abs=1e-10)


@pytest.mark.parametrize("length", [60, 61])
@pytest.mark.parametrize("softness", [0.2, 1.0, None])
@pytest.mark.parametrize("sigma", [0, 3])
def test_fourier_prior_matches_numpy(length, softness, sigma):
    attr = _random_attr(5, length, seed=length)
    loss = fourier_prior(attr, freq_limit=7, limit_softness=softness, smooth_sigma=sigma)
    expected = _numpy_fourier_prior(attr.numpy(), 7, softness, sigma)
    np.testing.assert_allclose(loss.numpy(), expected, atol=1e-10)


def test_fourier_prior_lies_in_unit_interval():
    rng = np.random.default_rng(2)
    attr = torch.tensor(rng.standard_normal((50, 4, 200)) ** 3)
    attr[::7, :, rng.integers(0, 200, 150)] = 0.0  # some sparse tracks
    for freq_limit in (0, 1, 20, 99, 100, 150):
        loss = fourier_prior(attr, freq_limit)
        assert torch.all(loss >= 0) and torch.all(loss <= 1)


def test_fourier_prior_circular_shift_invariance_without_smoothing():
    attr = _random_attr(4, 100, seed=3)
    loss = fourier_prior(attr, freq_limit=10, smooth_sigma=0)
    shifted = fourier_prior(torch.roll(attr, shifts=37, dims=-1), freq_limit=10, smooth_sigma=0)
    torch.testing.assert_close(loss, shifted, rtol=0, atol=1e-12)


def test_fourier_prior_shift_invariance_with_smoothing_away_from_edges():
    # Zero padding breaks circularity only within 3 positions of the ends;
    # a track whose support stays further inside is shift invariant.
    attr = _random_attr(3, 100, seed=4)
    attr[:, :, :20] = 0.0
    attr[:, :, 80:] = 0.0
    loss = fourier_prior(attr, freq_limit=10, smooth_sigma=3)
    shifted = fourier_prior(torch.roll(attr, shifts=15, dims=-1), freq_limit=10, smooth_sigma=3)
    torch.testing.assert_close(loss, shifted, rtol=0, atol=1e-12)

    # Mass wrapping across the ends is cut by the padding: no longer equal.
    wrapped = fourier_prior(torch.roll(attr, shifts=75, dims=-1), freq_limit=10, smooth_sigma=3)
    assert not torch.allclose(loss, wrapped, rtol=0, atol=1e-6)


def test_fourier_prior_smooth_bump_beats_white_noise():
    length = 1000
    i = np.arange(length)
    bump = np.exp(-0.5 * ((i - 500) / 15) ** 2)
    noise = np.random.default_rng(5).random(length)
    noise *= bump.sum() / noise.sum()  # same L1 mass
    attr = _attr_from_track(np.stack([bump, noise]))
    loss = fourier_prior(attr, freq_limit=150)
    assert loss[0] + 0.3 < loss[1]
    # The bump has no energy above T, so its loss is just the DC share of the
    # normalisation (the bump is wide, so smoothing barely changes it).
    mags = np.abs(np.fft.rfft(bump))
    assert loss[0].item() == pytest.approx(mags[0] / mags.sum(), abs=2e-3)


def test_fourier_prior_zero_attributions():
    attr = torch.zeros(2, 4, 50, dtype=torch.float64, requires_grad=True)
    loss = fourier_prior(attr, freq_limit=5)
    assert loss.tolist() == [1.0, 1.0]
    loss.sum().backward()
    assert torch.isfinite(attr.grad).all()
    assert torch.equal(attr.grad, torch.zeros_like(attr))


def test_fourier_prior_gradcheck():
    attr = _random_attr(2, 16, seed=6).requires_grad_(True)
    for sigma, softness in [(0, 0.2), (3, 0.2), (2, None)]:

        def func(x, sigma=sigma, softness=softness):
            return fourier_prior(x, freq_limit=4, limit_softness=softness, smooth_sigma=sigma)

        assert torch.autograd.gradcheck(func, (attr,))


def test_fourier_prior_rejects_bad_shape():
    with pytest.raises(ValueError, match="attr"):
        fourier_prior(torch.zeros(2, 1000, 4), freq_limit=150)
    with pytest.raises(ValueError, match="attr"):
        fourier_prior(torch.zeros(4, 1000), freq_limit=150)


# smoothness_prior


def test_smoothness_prior_by_hand():
    # |3 - 1| + |2 - 3| = 3; a flat track has no variation.
    attr = _attr_from_track([[1, 3, 2], [2, 2, 2]])
    np.testing.assert_allclose(smoothness_prior(attr).numpy(), [3.0, 0.0], atol=1e-12)


def test_smoothness_prior_matches_numpy():
    attr = _random_attr(6, 40, seed=7)
    track = np.abs(attr.numpy()).sum(axis=1)
    expected = [sum(abs(row[i + 1] - row[i]) for i in range(len(row) - 1)) for row in track]
    np.testing.assert_allclose(smoothness_prior(attr).numpy(), expected, atol=1e-12)


def test_smoothness_prior_gradcheck():
    attr = _random_attr(2, 12, seed=8).requires_grad_(True)
    assert torch.autograd.gradcheck(smoothness_prior, (attr,))


# sparsity_prior


def test_sparsity_prior_by_hand():
    # g = [1, 2, 3]: sum_i sum_j |g_i - g_j| = 2 * (1 + 2 + 1) = 8,
    # L * sum g = 3 * 6 = 18 -> -4/9.
    attr = _attr_from_track([[1, 2, 3]])
    assert sparsity_prior(attr).item() == pytest.approx(-4 / 9, abs=1e-12)


def test_sparsity_prior_matches_double_sum():
    attr = _random_attr(5, 30, seed=9)
    track = np.abs(attr.numpy()).sum(axis=1)
    length = track.shape[1]
    expected = []
    for row in track:
        double_sum = sum(abs(row[i] - row[j]) for i in range(length) for j in range(length))
        expected.append(-double_sum / (length * row.sum()))
    np.testing.assert_allclose(sparsity_prior(attr).numpy(), expected, atol=1e-12)


def test_sparsity_prior_extremes():
    length = 10
    one_hot = np.zeros((1, length))
    one_hot[0, 4] = 2.5
    flat = np.full((1, length), 0.3)
    attr = _attr_from_track(np.concatenate([one_hot, flat]))
    loss = sparsity_prior(attr)
    # All mass on one position: -(2 (L - 1) c) / (L c) = -2 (L - 1) / L.
    assert loss[0].item() == pytest.approx(-2 * (length - 1) / length, abs=1e-12)
    assert loss[1].item() == pytest.approx(0.0, abs=1e-12)
    # It is the minimum: random tracks never go below it.
    random_loss = sparsity_prior(_random_attr(20, length, seed=10))
    assert torch.all(random_loss > loss[0])


def test_sparsity_prior_zero_track_is_zero_with_finite_gradient():
    attr = torch.zeros(1, 4, 8, dtype=torch.float64, requires_grad=True)
    loss = sparsity_prior(attr)
    assert loss.item() == 0.0
    loss.sum().backward()
    assert torch.isfinite(attr.grad).all()


def test_sparsity_prior_gradcheck():
    attr = _random_attr(2, 12, seed=11).requires_grad_(True)
    assert torch.autograd.gradcheck(sparsity_prior, (attr,))


# l2_penalty


def test_l2_penalty_by_hand():
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        model.bias.copy_(torch.tensor([3.0]))
    penalty = l2_penalty(model)
    assert penalty.item() == pytest.approx(1 + 4 + 9)
    penalty.backward()
    torch.testing.assert_close(model.weight.grad, torch.tensor([[2.0, -4.0]]))
    assert l2_penalty(torch.nn.ReLU()).item() == 0.0


# PRIORS / prior_loss


def test_priors_registry():
    assert PRIORS == {
        "angle": angle_prior,
        "fourier": fourier_prior,
        "smoothness": smoothness_prior,
        "sparsity": sparsity_prior,
    }


def test_prior_loss_averages_over_positives_only():
    attr = _random_attr(6, 40, seed=12)
    is_positive = torch.tensor([True, False, True, False, False, True])
    per_example = fourier_prior(attr, freq_limit=5)
    expected = per_example[[0, 2, 5]].mean()
    loss = prior_loss("fourier", attr, is_positive, freq_limit=5)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(expected.item(), abs=1e-12)
    assert loss.item() != pytest.approx(per_example.mean().item(), abs=1e-6)

    sparse = prior_loss("sparsity", attr, is_positive)
    assert sparse.item() == pytest.approx(sparsity_prior(attr)[[0, 2, 5]].mean().item())


def test_prior_loss_negatives_get_no_gradient():
    attr = _random_attr(4, 20, seed=13).requires_grad_(True)
    is_positive = torch.tensor([True, False, True, False])
    prior_loss("smoothness", attr, is_positive).backward()
    assert torch.all(attr.grad[[1, 3]] == 0)
    assert torch.any(attr.grad[[0, 2]] != 0)


def test_prior_loss_without_positives_is_zero_and_differentiable():
    attr = _random_attr(3, 20, seed=14).requires_grad_(True)
    loss = prior_loss("fourier", attr, torch.zeros(3, dtype=torch.bool), freq_limit=5)
    assert loss.item() == 0.0
    assert loss.requires_grad and loss.dtype == attr.dtype
    loss.backward()
    assert torch.equal(attr.grad, torch.zeros_like(attr))


def test_prior_loss_bad_arguments():
    attr = _random_attr(2, 20, seed=15)
    with pytest.raises(ValueError, match="fourier.*smoothness.*sparsity"):
        prior_loss("entropy", attr, torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="is_positive"):
        prior_loss("sparsity", attr, torch.ones(3, dtype=torch.bool))


@pytest.mark.parametrize(
    ("name", "params"),
    [("fourier", {"freq_limit": 5}), ("smoothness", {}), ("sparsity", {}), ("angle", {})],
)
def test_prior_loss_of_a_pack_equals_each_seed_alone(name, params):
    """``(S, N, 4, L)`` → ``(S,)``: each seed's loss and gradient as from its own call, a
    seed without positives included."""
    attr = torch.stack([_random_attr(5, 30, seed=20 + s) for s in range(3)]).requires_grad_(True)
    is_positive = torch.tensor(
        [[True, False, True, True, False], [False] * 5, [True, True, False, True, True]]
    )
    losses = prior_loss(name, attr, is_positive, **params)
    assert losses.shape == (3,)
    expected = torch.stack([prior_loss(name, attr[s], is_positive[s], **params) for s in range(3)])
    torch.testing.assert_close(losses, expected, rtol=1e-12, atol=1e-15)
    assert losses[1].item() == 0.0
    (grad,) = torch.autograd.grad(losses @ torch.tensor([1.0, 2.0, 3.0], dtype=attr.dtype), attr)
    (expected_grad,) = torch.autograd.grad(
        expected @ torch.tensor([1.0, 2.0, 3.0], dtype=attr.dtype), attr
    )
    torch.testing.assert_close(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_prior_loss_of_a_pack_without_positives_is_an_exact_zero():
    """Zeros, also for a seed whose attributions are not finite (a seed without a prior term
    in a pack gets no positives, and alone its prior would not be computed at all)."""
    attr = torch.stack([_random_attr(3, 20, seed=s) for s in range(2)])
    attr[1, 0, 0, 0] = float("nan")
    losses = prior_loss("fourier", attr, torch.zeros(2, 3, dtype=torch.bool), freq_limit=5)
    assert losses.tolist() == [0.0, 0.0] and losses.dtype == attr.dtype
    with pytest.raises(ValueError, match="is_positive must have shape \\(2, 3\\)"):
        prior_loss("fourier", attr, torch.zeros(3, dtype=torch.bool), freq_limit=5)


def test_l2_penalty_of_stacked_parameters_is_each_models():
    models = [torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)) for _ in range(3)]
    own = [dict(m.named_parameters()) for m in models]
    stacked = {name: torch.stack([p[name] for p in own]) for name in own[0]}
    penalties = l2_penalty(models[0], stacked)
    expected = torch.stack([l2_penalty(m) for m in models])
    torch.testing.assert_close(penalties, expected)
    penalties[2].backward()
    assert torch.equal(models[0][0].weight.grad, torch.zeros_like(models[0][0].weight))
    torch.testing.assert_close(models[2][0].weight.grad, 2 * models[2][0].weight.detach())
    with pytest.raises(ValueError, match="stacked parameters"):
        l2_penalty(models[0], {})


def test_angle_prior_matches_simplex_angles():
    from attrprior.correction import simplex_angles

    rng = np.random.default_rng(3)
    grad = rng.normal(size=(3, 4, 20))
    expected = np.sqrt(np.nansum(simplex_angles(grad).astype(float) ** 2, axis=1))
    got = angle_prior(torch.as_tensor(grad)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    # Corrected gradients lie in the simplex plane: zero angle everywhere.
    corrected = torch.as_tensor(grad - grad.mean(axis=1, keepdims=True))
    assert angle_prior(corrected).max().item() < 1e-3
    # (1, 1, 1, 1) is normal to the plane: 90 degrees at each of 5 positions.
    normal = torch.ones(1, 4, 5, dtype=torch.float64)
    assert angle_prior(normal).item() == pytest.approx(90 * np.sqrt(5), rel=1e-3)
    assert torch.autograd.gradcheck(angle_prior, (torch.as_tensor(grad).requires_grad_(),))
