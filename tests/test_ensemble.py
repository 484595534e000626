"""The ensemble-difference analysis against hand-computed values and known properties."""

import numpy as np
import pytest

from attrprior.ensemble import (
    ANGLE_BIN_COLUMNS,
    ensemble_distances,
    ensemble_summary,
    member_distances,
    reduction_by_angle,
    truth_similarity,
)


def test_distances_by_hand():
    # Two models, one sequence, one position.
    maps = np.array([[[[1.0], [0.0], [0.0], [0.0]]], [[[0.0], [1.0], [0.0], [1.0]]]])
    average, raw, corrected = ensemble_distances(maps)
    np.testing.assert_allclose(average[0, :, 0], [0.5, 0.5, 0.0, 0.5])
    # Model 0: (0.5, -0.5, 0, -0.5); corrected (0.75, -0.25, -0.25, -0.25) - average.
    np.testing.assert_allclose(raw[:, 0, 0], [np.sqrt(0.75), np.sqrt(0.75)])
    np.testing.assert_allclose(corrected[0, 0, 0], np.sqrt(0.0625 + 0.5625 + 0.0625 + 0.5625))
    # Model 1: corrected (-0.5, 0.5, -0.5, 0.5) - average = (-1, 0, -0.5, 0).
    np.testing.assert_allclose(corrected[1, 0, 0], np.sqrt(1.25))


def test_a_shared_map_with_off_simplex_noise_is_recovered_by_the_correction():
    """Models that share their on-simplex map and differ only by off-simplex noise: the
    raw distance is the model's noise minus the mean noise; the corrected one is the mean
    noise alone (the average keeps it), 2 |mean n| per position."""
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(3, 4, 10))
    shared -= shared.mean(axis=1, keepdims=True)
    noise = rng.normal(size=(6, 3, 1, 10))
    maps = shared[None] + noise  # noise along (1, 1, 1, 1)
    _, raw, corrected = ensemble_distances(maps)
    mean_noise = noise.mean(axis=0)[:, 0]
    np.testing.assert_allclose(raw, 2 * np.abs(noise[:, :, 0] - mean_noise), atol=1e-12)
    np.testing.assert_allclose(corrected, np.broadcast_to(2 * np.abs(mean_noise), raw.shape))


def test_ensemble_needs_two_models_of_four_bases():
    with pytest.raises(ValueError, match="at least 2 models"):
        ensemble_distances(np.zeros((1, 2, 4, 5)))
    with pytest.raises(ValueError, match=r"\(M, N, 4, L\)"):
        ensemble_distances(np.zeros((3, 2, 5)))


def test_reduction_by_angle_by_hand():
    angles = np.array([-90.0, -87.0, 0.0, 2.0, 90.0, np.nan])
    raw = np.array([2.0, 4.0, 1.0, 3.0, 5.0, 100.0])
    corrected = np.array([1.0, 1.0, 1.0, 3.0, 0.0, 0.0])
    bins = reduction_by_angle(angles, raw, corrected, bin_width=5)
    assert tuple(bins.columns) == ANGLE_BIN_COLUMNS and len(bins) == 36
    assert bins["n_positions"].sum() == 5  # the NaN angle is left out
    first = bins.iloc[0]  # [-90, -85): raw mean 3, corrected 1
    assert (first["angle_low"], first["angle_high"], first["n_positions"]) == (-90, -85, 2)
    assert first["reduction_percent"] == pytest.approx(100 * (3 - 1) / 3)
    middle = bins.set_index("angle_low").loc[0.0]  # [0, 5): raw 2, corrected 2
    assert middle["n_positions"] == 2 and middle["reduction_percent"] == 0
    last = bins.iloc[-1]  # 90 falls in the last, closed bin
    assert last["n_positions"] == 1 and last["reduction_percent"] == 100
    assert np.isnan(bins.iloc[5]["reduction_percent"])  # empty bin
    with pytest.raises(ValueError, match="does not divide 180"):
        reduction_by_angle(angles, raw, corrected, bin_width=7)


def test_member_distances_by_hand():
    raw = np.array([[[2.0, 4.0]], [[1.0, 1.0]]])
    corrected = np.array([[[1.0, 1.0]], [[1.0, 1.0]]])
    angles = np.array([[[10.0, 40.0]], [[-50.0, np.nan]]])
    members = member_distances(raw, corrected, angles)
    assert members["raw_distance"].tolist() == [3.0, 1.0]
    assert members["reduction_percent"].tolist() == pytest.approx([100 * 2 / 3, 0.0])
    assert members["reduction_percent_above_30"].tolist() == pytest.approx([75.0, 0.0])


def test_truth_similarity_of_identical_models_is_the_average():
    rng = np.random.default_rng(1)
    truth = rng.dirichlet(np.ones(4), size=(5, 12)).transpose(0, 2, 1)
    member = rng.normal(size=(5, 4, 12))
    raw, corrected, average = truth_similarity(np.stack([member, member]), truth)
    np.testing.assert_allclose(raw[0], average)
    np.testing.assert_allclose(raw[1], average)
    # truth - 0.25 sums to 0 over the bases: the correction keeps the dot product with it
    # and shortens the map, so the cosine keeps its sign and grows in size.
    assert (np.sign(corrected) == np.sign(raw)).all()
    assert (np.abs(corrected) >= np.abs(raw) - 1e-12).all()


def test_summary_of_noisy_models_around_a_truth():
    """Models = the truth's signal + independent noise, on and off the simplex: the average
    is closer to the truth than every single model, and the correction brings each model
    closer to the average."""
    rng = np.random.default_rng(2)
    truth = rng.dirichlet(np.full(4, 0.3), size=(40, 30)).transpose(0, 2, 1)
    signal = truth - 0.25
    maps = signal[None] + 0.3 * rng.normal(size=(8, 40, 4, 30))
    maps += rng.normal(size=(8, 40, 1, 30))  # off-simplex noise, per model
    bins, members, summary = ensemble_summary(maps, truth)
    assert summary["n_models"] == 8 and summary["n_sequences"] == 40
    assert summary["reduction_percent"] > 30 and summary["fraction_positions_closer"] > 0.7
    assert summary["wilcoxon_p"] < 0.01  # 8 models all closer: 1/256
    assert summary["cosine_average"] > summary["cosine_models"]
    assert summary["fraction_models_below_average"] == 1.0
    assert summary["average_wilcoxon_p"] < 1e-6
    assert (members["cosine_corrected"] > members["cosine_raw"]).all()
    # Large angles are where the off-simplex noise dominates: the most reduced.
    wide = bins[(bins["angle_high"] <= -45) | (bins["angle_low"] >= 45)]
    narrow = bins[(bins["angle_low"] >= -5) & (bins["angle_high"] <= 5)]
    assert wide["reduction_percent"].min() > narrow["reduction_percent"].max()
