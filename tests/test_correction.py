"""Gradient correction and simplex angles (attrprior.correction)."""

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
