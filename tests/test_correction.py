"""Gradient correction and simplex angles (attrprior.correction)."""

import copy
import subprocess
import sys

import numpy as np
import torch

from attrprior.correction import correct_gradients, raw_map_angles, simplex_angles


def test_correction_zero_mean_idempotent_and_zero_angle():
    g = np.random.default_rng(0).normal(size=(3, 4, 10)).astype(np.float32)
    c = correct_gradients(g)
    assert isinstance(c, np.ndarray) and c.dtype == np.float32 and c.shape == g.shape
    np.testing.assert_allclose(c.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(correct_gradients(c), c, atol=1e-6)
    np.testing.assert_allclose(simplex_angles(c), 0, atol=1e-3)
    # Only the component along (1,1,1,1) is removed.
    np.testing.assert_allclose(
        g - c, np.broadcast_to(g.mean(axis=1, keepdims=True), g.shape), atol=1e-6
    )


def test_correction_torch_in_torch_out():
    g = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(0))
    c = correct_gradients(g)
    assert isinstance(c, torch.Tensor)
    torch.testing.assert_close(c.mean(dim=1), torch.zeros(2, 7), atol=1e-6, rtol=0)


def test_angles_of_a_tensor_with_gradient_equal_the_arrays():
    g = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(1), requires_grad=True)
    np.testing.assert_array_equal(simplex_angles(g), simplex_angles(g.detach().numpy()))


def test_scoring_maps_does_not_import_torch():
    # score_attributions runs once per model; torch's import would add ~1.5 s to each job.
    code = (
        "import sys, numpy as np\n"
        "from attrprior.correction import correct_gradients, raw_map_angles\n"
        "import attrprior.score_tables\n"
        "raw_map_angles({'saliency': correct_gradients(np.ones((1, 4, 3)))})\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_angles_known_values_and_nan():
    cols = np.array(
        [[1, 1, 1, 1], [1, -1, 0, 0], [1, 0, 0, 0], [-1, -1, -1, -1], [0, 0, 0, 0], [2, 0, 0, 0]],
        dtype=np.float32,
    )
    g = cols.T[None]  # (1, 4, 6)
    angles = simplex_angles(g)
    assert angles.shape == (1, 6)
    np.testing.assert_allclose(angles[0, [0, 1, 2, 3, 5]], [90, 0, 30, -90, 30], atol=1e-4)
    assert np.isnan(angles[0, 4])
    assert np.all(np.abs(simplex_angles(np.random.default_rng(1).normal(size=(2, 4, 50)))) <= 90)


# --- gradient methods ------------------------------------------------------------------------


def test_raw_map_angles_keeps_gradient_like_maps_only():
    g = np.random.default_rng(4).normal(size=(2, 4, 30))
    maps = {"saliency": g, "saliency_corrected": correct_gradients(g), "grad_x_input": g}
    angles = raw_map_angles(maps)
    assert list(angles) == ["saliency"]
    np.testing.assert_array_equal(angles["saliency"], simplex_angles(g))


def test_correction_of_stacked_seeds_is_each_seed_corrected():
    """(S, N, 4, L) maps of packed seeds: the bases are axis -2, as for (N, 4, L)."""
    g = torch.randn(3, 2, 4, 7, generator=torch.Generator().manual_seed(1))
    stacked = correct_gradients(g)
    for s in range(3):
        torch.testing.assert_close(stacked[s], correct_gradients(g[s]))


def test_off_simplex_shift_changes_raw_gradients_only():
    """A constant added to all four bases of a first-layer filter column (the bias taking
    the window sum's change) leaves the function on one-hot inputs unchanged. It moves the
    raw input gradient, gradient × input and the Fourier prior on it, but not the corrected
    gradient or DeepSHAP: the freedom behind the billboard result in docs/reproduction.md
    (the prior smooths raw saliency, not DeepSHAP)."""
    from toy_cnns import one_hot

    from attrprior.attribution import saliency
    from attrprior.deepshap import deepshap, dinucleotide_references
    from attrprior.priors import fourier_prior

    torch.manual_seed(0)
    length = 48
    model = torch.nn.Sequential(
        torch.nn.Conv1d(4, 6, 5),  # valid: no zero-padded edges
        torch.nn.ReLU(),
        torch.nn.MaxPool1d(4, stride=4),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * ((length - 4) // 4), 1),
    ).eval()
    shifted = copy.deepcopy(model)
    shift = torch.randn(6, 1, 5, generator=torch.Generator().manual_seed(1))  # (filter, 1, tap)
    with torch.no_grad():
        shifted[0].weight += shift
        shifted[0].bias -= shift.sum(dim=(1, 2))
    x = one_hot(n=8, length=length, seed=3)
    xt = torch.as_tensor(x)
    with torch.no_grad():
        torch.testing.assert_close(shifted(xt), model(xt), atol=1e-5, rtol=0)

    grad, grad_shifted = saliency(model, x), saliency(shifted, x)
    assert np.abs(grad_shifted - grad).max() > 0.1
    np.testing.assert_allclose(correct_gradients(grad_shifted), correct_gradients(grad), atol=1e-5)
    prior = fourier_prior(torch.as_tensor(grad * x), freq_limit=5)
    prior_shifted = fourier_prior(torch.as_tensor(grad_shifted * x), freq_limit=5)
    assert (prior_shifted - prior).abs().max() > 1e-3

    refs = dinucleotide_references(x, n_shuffles=4, seed=2)
    np.testing.assert_allclose(deepshap(shifted, x, refs), deepshap(model, x, refs), atol=1e-5)
