"""Tests for attrprior.metrics against hand-computed values and plain loops."""

import numpy as np
import pytest
import scipy.stats

from attrprior.metrics import (
    angle_histogram,
    attribution_entropy,
    classification_metrics,
    continuous_jaccard,
    cross_set_similarity,
    fourier_highfreq,
    fraction_in_mask,
    gc_reliance,
    ground_truth_cosine,
    information_content,
    interpretability_auc,
    large_angle_fractions,
    mask_auprc,
    seed_stability,
    summit_distance_correlation,
)

UNIFORM = [0.25, 0.25, 0.25, 0.25]


def _attr_from_track(track):
    """(N, 4, L) attributions with sum_b |a| = track, spread with mixed signs."""

    track = np.asarray(track, dtype=float)
    split = np.array([0.1, -0.2, 0.3, -0.4])
    return split[None, :, None] * track[:, None, :]


def _columns(*columns):
    """A (1, 4, L) array from L length-4 columns."""

    return np.array(columns, dtype=float).T[None]


# fourier_highfreq


def test_fourier_highfreq_by_hand():
    # L = 8 delta: |fft| = 1 everywhere; bins k = 1, 2, 3 are kept (DC and
    # the Nyquist bin 4 are not), 1/3 each after normalising without DC.
    attr = _attr_from_track([[1, 0, 0, 0, 0, 0, 0, 0]])
    assert fourier_highfreq(attr, 0)[0] == pytest.approx(1.0)
    assert fourier_highfreq(attr, 1)[0] == pytest.approx(2 / 3)
    assert fourier_highfreq(attr, 2)[0] == pytest.approx(1 / 3)
    assert fourier_highfreq(attr, 3)[0] == pytest.approx(0.0)


def test_fourier_highfreq_ignores_nyquist_bin():
    # Adding an alternating pattern puts energy only at DC and k = 4.
    track = np.array([[1, 0, 0, 0, 0, 0, 0, 0]]) + np.array([[2, 0, 2, 0, 2, 0, 2, 0]])
    assert fourier_highfreq(_attr_from_track(track), 1)[0] == pytest.approx(2 / 3)


def test_fourier_highfreq_matches_explicit_dft():
    rng = np.random.default_rng(0)
    attr = rng.standard_normal((4, 4, 64))
    track = np.abs(attr).sum(axis=1)
    length, freq_limit = 64, 10
    expected = []
    for row in track:
        mags = []
        for k in range(1, length // 2):
            coef = sum(row[i] * np.exp(-2j * np.pi * k * i / length) for i in range(length))
            mags.append(abs(coef))
        mags = np.array(mags) / np.sum(mags)
        expected.append(mags[freq_limit:].sum())  # mags[j] is k = j + 1
    np.testing.assert_allclose(fourier_highfreq(attr, freq_limit), expected, atol=1e-10)


def test_fourier_highfreq_undefined_without_signal():
    attr = np.zeros((2, 4, 16))
    attr[1] = 1.0  # constant track: DC only
    assert np.isnan(fourier_highfreq(attr, 2)).all()


def test_fourier_highfreq_rejects_bad_shape():
    with pytest.raises(ValueError, match="attr"):
        fourier_highfreq(np.zeros((2, 16, 4)), 2)


# attribution_entropy


def test_attribution_entropy_by_hand():
    attr = _attr_from_track([[1, 1, 1, 1], [0, 3, 0, 0]])
    np.testing.assert_allclose(attribution_entropy(attr, pseudocount=0), [2.0, 0.0], atol=1e-12)

    p = np.array([0.001, 3.001, 0.001, 0.001]) / 3.004
    expected = -np.sum(p * np.log2(p))
    assert attribution_entropy(attr)[1] == pytest.approx(expected)


def test_attribution_entropy_matches_scipy():
    attr = np.random.default_rng(1).standard_normal((5, 4, 50))
    track = np.abs(attr).sum(axis=1) + 0.001
    expected = [scipy.stats.entropy(row, base=2) for row in track]
    np.testing.assert_allclose(attribution_entropy(attr), expected, atol=1e-12)


# continuous_jaccard


def test_continuous_jaccard_by_hand():
    # Position 0: a = (1,0,0,0), b = (.5,.5,0,0): min-sum .5 / max-sum 1.5 = 1/3.
    # Position 1: opposite signs: -1 / 1 = -1. Position 2: both zero: 0.
    # Position 3: b is a scaled by 10 after L1 normalisation: 1.
    a = _columns([1, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0], [0.2, -0.6, 0, 0.2])
    b = _columns([0.5, 0.5, 0, 0], [-3, 0, 0, 0], [0, 0, 0, 0], [2, -6, 0, 2])
    assert continuous_jaccard(a, b)[0] == pytest.approx(1 / 3 - 1 + 0 + 1)


def test_continuous_jaccard_matches_loops():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4, 20))
    b = rng.standard_normal((3, 4, 20))
    a[:, :, 5] = 0.0  # a zero position in one map only
    expected = []
    for n in range(3):
        total = 0.0
        for i in range(20):
            x = a[n, :, i] / np.abs(a[n, :, i]).sum() if np.abs(a[n, :, i]).sum() else a[n, :, i]
            y = b[n, :, i] / np.abs(b[n, :, i]).sum()
            num = sum(min(abs(x[j]), abs(y[j])) * np.sign(x[j]) * np.sign(y[j]) for j in range(4))
            den = sum(max(abs(x[j]), abs(y[j])) for j in range(4))
            total += num / den if den else 0.0
        expected.append(total)
    np.testing.assert_allclose(continuous_jaccard(a, b), expected, atol=1e-12)


def test_continuous_jaccard_self_counts_nonzero_positions():
    a = np.random.default_rng(3).standard_normal((2, 4, 30))
    a[0, :, :7] = 0.0
    np.testing.assert_allclose(continuous_jaccard(a, a), [23.0, 30.0])
    np.testing.assert_allclose(continuous_jaccard(a, 4 * a), [23.0, 30.0])


def test_continuous_jaccard_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        continuous_jaccard(np.ones((2, 4, 10)), np.ones((2, 4, 11)))


# information_content / ground_truth_cosine


def test_information_content_by_hand():
    truth = _columns(UNIFORM, [1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.5, 0.25, 0.25, 0])
    # 2 - 1.5 = 0.5 for the last column (entropy 1.5 bits).
    np.testing.assert_allclose(information_content(truth), [[0.0, 2.0, 1.0, 0.5]], atol=1e-12)


def test_ground_truth_cosine():
    truth = _columns(UNIFORM, [1, 0, 0, 0], [0, 0.5, 0.5, 0])
    centred = truth - 0.25
    assert ground_truth_cosine(centred, truth)[0] == pytest.approx(1.0)
    assert ground_truth_cosine(-3 * centred, truth)[0] == pytest.approx(-1.0)
    # By hand: attr has 1 at (A, pos 1) only; dot .75, norms 1 and
    # sqrt(.75^2 + 3 * .25^2 + 2 * .25^2 + 2 * .25^2) = sqrt(1).
    attr = np.zeros_like(truth)
    attr[0, 0, 1] = 1.0
    assert ground_truth_cosine(attr, truth)[0] == pytest.approx(0.75)
    assert np.isnan(ground_truth_cosine(np.zeros_like(truth), truth)[0])


# interpretability_auc


def _interpretability_example():
    """One sequence: positives at 0, 1; background at 2, 3, 5; weak motif at 4."""

    truth = _columns(
        [1, 0, 0, 0],
        [0.5, 0.5, 0, 0],
        UNIFORM,
        UNIFORM,
        [0.3, 0.3, 0.2, 0.2],  # about 0.029 bits
        UNIFORM,
    )
    onehot = np.zeros_like(truth)
    onehot[0, 0] = 1.0  # all A
    attr = np.full_like(truth, 5.0)  # non-observed bases must not count
    attr[0, 0] = [0.9, 0.2, 0.5, 0.1, 1.0, 0.3]
    return attr, onehot, truth


def test_interpretability_auc_by_hand():
    attr, onehot, truth = _interpretability_example()
    auroc, aupr = interpretability_auc(attr, onehot, truth)
    # Positives {.9, .2} vs negatives {.5, .1, .3}: 4 of 6 pairs ordered.
    assert auroc[0] == pytest.approx(4 / 6)
    # Ranked .9+ .5- .3- .2+ .1-: PR points (R, P) = (1, 1/2), (1/2, 1/3),
    # (1/2, 1), (0, 1); trapezoids: .5 * (1/2 + 1/3) / 2 + .5 * 1 = 17/24.
    assert aupr[0] == pytest.approx(17 / 24)


def test_interpretability_auc_weak_positions():
    attr, onehot, truth = _interpretability_example()
    # The reference code's labelling: the weak position (score 1.0) is a
    # negative and outranks both positives: 4 of 8 pairs ordered.
    auroc, _ = interpretability_auc(attr, onehot, truth, weak_as_negative=True)
    assert auroc[0] == pytest.approx(4 / 8)


def test_interpretability_auc_matches_pairwise_count():
    rng = np.random.default_rng(4)
    n, length = 3, 40
    truth = np.full((n, 4, length), 0.25)
    for k in range(n):
        start = rng.integers(0, 30)
        truth[k, :, start : start + 8] = rng.dirichlet(np.full(4, 0.3), size=8).T
    onehot = np.eye(4)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1)
    attr = rng.standard_normal((n, 4, length))
    auroc, _ = interpretability_auc(attr, onehot, truth)

    info = information_content(truth)
    scores = (attr * onehot).sum(axis=1)
    for k in range(n):
        pos = scores[k][info[k] > 0.1]
        neg = scores[k][np.isclose(info[k], 0)]
        wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
        assert auroc[k] == pytest.approx(wins / (len(pos) * len(neg)))


def test_interpretability_auc_equals_sklearns_curves_with_ties():
    # The per-sequence areas are computed in NumPy; they must be scikit-learn's
    # auc(roc_curve) and auc(recall, precision) of precision_recall_curve to the last bit,
    # ties included (Wilcoxon tests rank their paired differences).
    from sklearn.metrics import auc, precision_recall_curve, roc_auc_score

    from attrprior.metrics import _auroc_aupr

    rng = np.random.default_rng(6)
    for trial in range(300):
        size = int(rng.integers(2, 60))
        labels = rng.random(size) < rng.uniform(0.1, 0.9)
        labels[: 1 + trial % 2] = [True, False][: 1 + trial % 2]
        labels[-1] = not labels[0]  # both classes
        # Few distinct values in half the trials: many ties.
        scores = rng.standard_normal(size)
        if trial % 2:
            scores = np.round(scores)
        precision, recall, _ = precision_recall_curve(labels, scores)
        auroc, aupr = _auroc_aupr(labels, scores)
        assert auroc == roc_auc_score(labels, scores)
        assert aupr == auc(recall, precision)


def test_interpretability_auc_perfect_when_scores_are_information():
    rng = np.random.default_rng(5)
    truth = np.full((2, 4, 30), 0.25)
    truth[:, :, 10:18] = rng.dirichlet(np.full(4, 0.2), size=(2, 8)).transpose(0, 2, 1)
    onehot = np.zeros_like(truth)
    onehot[:, 2] = 1.0
    attr = np.zeros_like(truth)
    attr[:, 2] = information_content(truth)  # so attr * x sums to the information
    auroc, aupr = interpretability_auc(attr, onehot, truth)
    np.testing.assert_allclose(auroc, 1.0)
    np.testing.assert_allclose(aupr, 1.0)


def test_interpretability_auc_rejects_non_finite_scores():
    attr, onehot, truth = _interpretability_example()
    attr[0, 0, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        interpretability_auc(attr, onehot, truth)


def test_interpretability_auc_nan_without_positives():
    truth = np.full((1, 4, 10), 0.25)
    onehot = np.zeros_like(truth)
    onehot[:, 0] = 1.0
    auroc, aupr = interpretability_auc(np.ones_like(truth), onehot, truth)
    assert np.isnan(auroc[0]) and np.isnan(aupr[0])


# fraction_in_mask / mask_auprc


def test_fraction_in_mask_by_hand():
    attr = _attr_from_track([[1, 2, 3, 4], [0, 0, 0, 0]])
    mask = np.array([[False, True, True, False], [True, False, False, False]])
    result = fraction_in_mask(attr, mask)
    assert result[0] == pytest.approx(5 / 10)
    assert np.isnan(result[1])
    # A window with no footprint is NaN (left out of Table 4's mean), not 0.
    empty = fraction_in_mask(attr, np.zeros((2, 4), dtype=bool))
    assert np.isnan(empty).all()
    with pytest.raises(ValueError, match="mask"):
        fraction_in_mask(attr, mask[:, :3])


def test_mask_auprc():
    # Scores 3, 2, 1 with labels 1, 0, 1: PR points (R, P) = (1, 2/3),
    # (1/2, 1/2), (1/2, 1), (0, 1) -> .5 * (2/3 + 1/2) / 2 + .5 = 19/24.
    attr = _attr_from_track([[3, 2, 1]])
    assert mask_auprc(attr, [[True, False, True]]) == pytest.approx(19 / 24)
    # Pooled over examples; perfect ranking gives 1.
    attr = _attr_from_track([[5, 1, 0.5], [0.2, 4, 0.1]])
    mask = [[True, False, False], [False, True, False]]
    assert mask_auprc(attr, mask) == pytest.approx(1.0)
    assert np.isnan(mask_auprc(attr, np.zeros((2, 3), dtype=bool)))


# gc_reliance


def test_gc_reliance_by_hand():
    # Position 0 is masked (a motif) and holds the map's maximum, C = 1.
    # Position 1: gc = .5 + .3 = .8, at = .1 - .2 = -.1 -> -.08.
    # Position 2: gc = .2 + .2 = .4, at = -.4 + 0 = -.4 -> -.16. Mean -.12.
    attr = _columns([0, 1.0, 0, 0], [0.1, 0.5, 0.3, -0.2], [-0.4, 0.2, 0.2, 0.0])
    mask = np.array([[True, False, False]])
    assert gc_reliance(attr, mask)[0] == pytest.approx(-0.12)
    # Dividing by the maximum (now 2) twice: -.12 / 4.
    attr[0, 1, 0] = 2.0
    assert gc_reliance(attr, mask)[0] == pytest.approx(-0.03)


def test_gc_reliance_edge_cases():
    rng = np.random.default_rng(6)
    onehot = np.eye(4)[rng.integers(0, 4, (2, 20))].transpose(0, 2, 1)
    actual = rng.standard_normal((2, 4, 20)) * onehot
    mask = np.zeros((2, 20), dtype=bool)
    # One base per position: G/C and A/T never both nonzero.
    np.testing.assert_allclose(gc_reliance(actual, mask), 0.0)
    assert np.isnan(gc_reliance(actual, np.ones((2, 20), dtype=bool))).all()
    assert np.isnan(gc_reliance(np.zeros((1, 4, 5)), np.zeros((1, 5), dtype=bool))[0])


# angles


def test_large_angle_fractions():
    angles = np.array([[10.0, -40.0, 50.0], [70.0, np.nan, -30.0]])
    # Five finite angles: |a| > 30: 3; > 45: 2; > 60: 1 (30 itself is not > 30).
    result = large_angle_fractions(angles)
    assert result == {30: pytest.approx(3 / 5), 45: pytest.approx(2 / 5), 60: pytest.approx(1 / 5)}
    assert np.isnan(large_angle_fractions([np.nan])[30])


def test_angle_histogram():
    angles = np.array([0.0, 2.0, -90.0, 90.0, 44.9, np.nan])
    counts, edges = angle_histogram(angles)
    np.testing.assert_allclose(edges, np.linspace(-90, 90, 37))
    assert counts.sum() == 5
    assert counts[18] == 2  # [0, 5)
    assert counts[0] == 1 and counts[-1] == 1  # the ends are included
    assert counts[26] == 1  # [40, 45)


# classification_metrics


def test_classification_metrics_by_hand():
    y_true = [0, 0, 1, 1]
    y_score = [0.1, 0.4, 0.35, 0.8]
    result = classification_metrics(y_true, y_score)
    # auROC: 3 of 4 positive-negative pairs ordered. AP: ranked .8+ .4- .35+
    # .1-: 1/2 * 1 + 1/2 * 2/3. Accuracy: predictions 0, 0, 0, 1.
    assert result == {
        "auroc": pytest.approx(0.75),
        "aupr": pytest.approx(5 / 6),
        "accuracy": pytest.approx(0.75),
    }


def test_classification_metrics_bad_labels():
    with pytest.raises(ValueError, match="y_true"):
        classification_metrics([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true and y_score"):
        classification_metrics([0, 1], [0.1, 0.2, 0.3])


def test_multitask_metrics_average_tasks_and_skip_ambiguous():
    from attrprior.metrics import multitask_classification_metrics

    y = np.array([[1, 0], [0, 1], [1, -1], [0, -1]])
    score = np.array([[0.9, 0.2], [0.1, 0.8], [0.4, 0.99], [0.6, 0.0]])
    # Task 0: positives 0.9, 0.4 vs negatives 0.1, 0.6 -> 3 of 4 pairs ranked right.
    # Task 1: the two ambiguous rows are ignored; 0.8 > 0.2 -> auROC 1.
    result = multitask_classification_metrics(y, score)
    assert result["auroc"] == pytest.approx((0.75 + 1.0) / 2)
    # Accuracy task 0: 0.9 right, 0.1 right, 0.4 wrong, 0.6 wrong -> 0.5; task 1: 1.
    assert result["accuracy"] == pytest.approx(0.75)
    one_class = multitask_classification_metrics(np.ones((3, 1)), np.ones((3, 1)))
    assert np.isnan(one_class["auroc"])


def test_seed_stability_is_the_mean_of_pairwise_jaccard():
    rng = np.random.default_rng(3)
    maps = [rng.standard_normal((5, 4, 12)) for _ in range(3)]
    pairs = [(0, 1), (0, 2), (1, 2)]
    expected = np.mean([continuous_jaccard(maps[i], maps[j]) for i, j in pairs], axis=0)
    assert np.allclose(seed_stability(maps), expected)
    # Identical maps with no zero position score L, the maximum.
    assert np.allclose(seed_stability([maps[0], 2 * maps[0]]), 12)


def test_seed_stability_needs_two_maps_of_one_shape():
    a = np.ones((2, 4, 6))
    with pytest.raises(ValueError, match="at least 2"):
        seed_stability([a])
    with pytest.raises(ValueError, match=r"maps\[1\]"):
        seed_stability([a, np.ones((2, 4, 7))])


def test_cross_set_similarity_averages_every_pair_between_the_sets():
    rng = np.random.default_rng(4)
    full = [rng.standard_normal((5, 4, 12)) for _ in range(2)]
    subset = [rng.standard_normal((5, 4, 12)) for _ in range(3)]
    # 2 x 3 pairs, by a second computation: a loop summing them.
    total = np.zeros(5)
    for a in full:
        for b in subset:
            total += continuous_jaccard(a, b)
    np.testing.assert_allclose(cross_set_similarity(full, subset), total / 6)
    # One map per set: the only pair is the one across the sets; a scaled copy scores L.
    assert np.allclose(cross_set_similarity([full[0]], [3 * full[0]]), 12)
    # Identical sets: the mean over all pairs, self-pairs included (unlike seed_stability).
    pairs = [continuous_jaccard(a, b) for a in full for b in full]
    np.testing.assert_allclose(cross_set_similarity(full, full), np.mean(pairs, axis=0))


def test_cross_set_similarity_can_leave_out_same_seed_pairs():
    rng = np.random.default_rng(3)
    full = [rng.normal(size=(2, 4, 5)) for _ in range(2)]
    subset = [rng.normal(size=(2, 4, 5)) for _ in range(2)]
    expected = (continuous_jaccard(full[0], subset[1]) + continuous_jaccard(full[1], subset[0])) / 2
    np.testing.assert_allclose(cross_set_similarity(full, subset, skip_same_index=True), expected)
    with pytest.raises(ValueError, match="no pair left"):
        cross_set_similarity(full[:1], subset[:1], skip_same_index=True)
    # With seed ids (the top seeds of each condition), the same seed is skipped, not the
    # same position: seeds (3, 7) against (7, 2) leave out only the pair 7-7.
    expected = (
        continuous_jaccard(full[0], subset[0])
        + continuous_jaccard(full[0], subset[1])
        + continuous_jaccard(full[1], subset[1])
    ) / 3
    got = cross_set_similarity(full, subset, skip_same_index=True, ids=[3, 7], other_ids=[7, 2])
    np.testing.assert_allclose(got, expected)
    with pytest.raises(ValueError, match="one id per map set"):
        cross_set_similarity(full, subset, ids=[1])


def test_cross_set_similarity_needs_maps_of_one_shape():
    a = np.ones((2, 4, 6))
    with pytest.raises(ValueError, match="at least 1 map per set"):
        cross_set_similarity([a], [])
    with pytest.raises(ValueError, match=r"other_maps\[1\]"):
        cross_set_similarity([a], [a, np.ones((2, 4, 7))])
    with pytest.raises(ValueError, match=r"maps\[1\]"):
        cross_set_similarity([a, np.ones((3, 4, 6))], [a])


def test_summit_distance_correlation_matches_scipy_per_row():
    rng = np.random.default_rng(5)
    attr = rng.normal(size=(6, 4, 50))
    distance = rng.integers(0, 20, size=(6, 50)).astype(float)  # ties on purpose
    expected = [
        scipy.stats.spearmanr(np.abs(attr[n]).sum(axis=0), distance[n]).statistic for n in range(6)
    ]
    np.testing.assert_allclose(summit_distance_correlation(attr, distance), expected)


def test_summit_distance_correlation_by_hand_and_undefined_cases():
    # Importance falls with distance: rho = -1.
    track = np.array([[4.0, 3.0, 2.0, 1.0]])
    distance = np.array([[0.0, 1.0, 2.0, 3.0]])
    np.testing.assert_allclose(summit_distance_correlation(_attr_from_track(track), distance), [-1])
    constant = _attr_from_track(np.ones((1, 4)))
    assert np.isnan(summit_distance_correlation(constant, distance)).all()
    unknown = np.array([[0.0, np.nan, 2.0, 3.0]])
    assert np.isnan(summit_distance_correlation(_attr_from_track(track), unknown)).all()
    # No summit inside the window (all distances NaN): 0, kept, as the reference does.
    no_summit = np.full((1, 4), np.nan)
    np.testing.assert_array_equal(
        summit_distance_correlation(_attr_from_track(track), no_summit), [0.0]
    )
    with pytest.raises(ValueError, match="distance must have shape"):
        summit_distance_correlation(_attr_from_track(track), distance[:, :3])


def test_interpretability_negatives_are_the_least_informative_background():
    # A GC-biased background (0.24/0.26/0.26/0.24) carries ~0.001 bit: it is still the
    # background, the negatives (before, no position had information 0 and the auROC was NaN).
    from attrprior.metrics import interpretability_auc

    length = 30
    truth = np.tile(np.array([0.24, 0.26, 0.26, 0.24])[:, None], (2, 1, length)).reshape(
        2, 4, length
    )
    truth[:, :, 10:14] = np.eye(4)[:, [0, 1, 2, 3]]  # a 4-bp motif, 2 bits per position
    onehot = np.zeros_like(truth)
    onehot[:, 0, :] = 1
    onehot[:, :, 10:14] = np.eye(4)
    attr = np.zeros_like(truth)
    attr[:, :, 10:14] = np.eye(4)  # importance on the motif only
    auroc, aupr = interpretability_auc(attr, onehot, truth)
    np.testing.assert_allclose(auroc, [1.0, 1.0])
    np.testing.assert_allclose(aupr, [1.0, 1.0])
