"""Predictive metrics of profile models (Tseng et al. 2020, Table 1 / Figure 4 profile rows).

Profiles are arrays ``(N, T, S, L)``: examples, tasks, strands, positions. Observed profiles
are read counts; predicted profiles are probabilities over positions (softmax of the
logits). Total counts are ``(N, T, S)``.

- :func:`smooth_profiles`: Gaussian smoothing along positions, σ = 3 by default, with
  ``scipy.ndimage.gaussian_filter1d``, the kernel truncated at 1 σ as the reference code
  does (7 taps for σ = 3; the paper does not say), and ``mode="reflect"`` at the window ends,
  so no mass is lost there. (The Fourier prior's smoothing,
  :func:`attrprior.priors.smooth_track`, is another 7-tap kernel, with zero padding.)
- :func:`jensen_shannon_divergence`: the JS *divergence* in nats (natural log), not the JS
  distance: ``JSD(p, q) = (KL(p || m) + KL(q || m)) / 2`` with ``m = (p + q) / 2``, after
  normalising p and q to sum 1. This is what the reference's ``jensen_shannon_distance``
  returns despite its name, and equals ``scipy.spatial.distance.jensenshannon(p, q) ** 2``
  (scipy returns the square root, in nats unless ``base`` is given). Lies in [0, log 2].
- :func:`profile_jsd`: both profiles smoothed, then the JSD per example, task and strand,
  averaged over strands.
- :func:`log_count_correlations`: Pearson and Spearman correlations of observed
  ``log(1 + total)`` and predicted log counts, per task, pooling examples and strands.
- :class:`ProfileMetricSums`: accumulates these batch by batch, so whole test sets never
  sit in memory as profiles.
"""

import numpy as np
import scipy.ndimage
import scipy.stats

#: σ of the Gaussian smoothing before the JSD (Tseng et al.).
JSD_SMOOTH_SIGMA = 3.0


#: Kernel truncation, in σ: Tseng et al.'s ``profile_jsd`` calls
#: ``gaussian_filter1d(sigma=3, truncate=1)``, a 7-tap kernel (radius int(1 * 3 + 0.5) = 3),
#: not scipy's default of 4 σ (25 taps).
JSD_SMOOTH_TRUNCATE = 1.0


def smooth_profiles(
    profiles: np.ndarray, sigma: float = JSD_SMOOTH_SIGMA, truncate: float = JSD_SMOOTH_TRUNCATE
) -> np.ndarray:
    """Gaussian-smooth profiles along the last axis (positions).

    Parameters
    ----------
    profiles : numpy.ndarray, shape (..., L)
        Counts or probabilities, e.g. ``(N, T, S, L)``.
    sigma : float
        Standard deviation in positions; 0 returns a float64 copy unchanged.
    truncate : float
        Kernel radius in units of σ: ``int(truncate * sigma + 0.5)`` positions each side.

    Returns
    -------
    numpy.ndarray, shape (..., L), float64
        ``scipy.ndimage.gaussian_filter1d(profiles, sigma, axis=-1, truncate=truncate,
        mode="reflect")``: the kernel is normalised and the ends reflected, so each track's
        sum is kept.
    """
    profiles = np.asarray(profiles, dtype=np.float64)
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return profiles.copy()
    return scipy.ndimage.gaussian_filter1d(
        profiles, sigma, axis=-1, truncate=truncate, mode="reflect"
    )


def _kl_terms(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``sum p log(p / m)`` along the last axis, with 0 log 0 = 0 (m > 0 wherever p > 0)."""
    ratio = np.divide(p, m, out=np.ones_like(p), where=p > 0)
    return np.sum(p * np.log(ratio), axis=-1)


def jensen_shannon_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (nats) along the last axis, after normalising each to sum 1.

    ``JSD = (KL(p || m) + KL(q || m)) / 2``, ``m = (p + q) / 2``, natural log; equals
    ``scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2``.

    Parameters
    ----------
    p, q : numpy.ndarray, shape (..., L)
        Non-negative weights (counts or probabilities), same shape.

    Returns
    -------
    numpy.ndarray, shape (...), float64
        In [0, log 2]; NaN where p or q sums to 0 (no distribution to compare).
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("p and q must be non-negative")
    p_sum = p.sum(axis=-1, keepdims=True)
    q_sum = q.sum(axis=-1, keepdims=True)
    p = np.divide(p, p_sum, out=np.zeros_like(p), where=p_sum > 0)
    q = np.divide(q, q_sum, out=np.zeros_like(q), where=q_sum > 0)
    m = 0.5 * (p + q)
    jsd = 0.5 * (_kl_terms(p, m) + _kl_terms(q, m))
    defined = (p_sum[..., 0] > 0) & (q_sum[..., 0] > 0)
    # Rounding can leave a tiny negative value for identical distributions.
    return np.where(defined, np.clip(jsd, 0.0, np.log(2.0)), np.nan)


def profile_jsd(
    profiles: np.ndarray,
    probabilities: np.ndarray,
    sigma: float = JSD_SMOOTH_SIGMA,
    truncate: float = JSD_SMOOTH_TRUNCATE,
) -> np.ndarray:
    """JSD between observed and predicted profiles, both smoothed first, averaged over strands.

    Parameters
    ----------
    profiles : numpy.ndarray, shape (N, T, S, L)
        Observed counts.
    probabilities : numpy.ndarray, shape (N, T, S, L)
        Predicted probabilities over positions (softmax of the logits).
    sigma, truncate : float
        Smoothing of both (:func:`smooth_profiles`).

    Returns
    -------
    numpy.ndarray, shape (N, T), float64
        Mean over strands of :func:`jensen_shannon_divergence`; NaN when a strand of the
        observed profile holds no counts.
    """
    if np.shape(profiles) != np.shape(probabilities) or np.ndim(profiles) != 4:
        raise ValueError(
            "profiles and probabilities must both be (N, T, S, L), got "
            f"{np.shape(profiles)} and {np.shape(probabilities)}"
        )
    smoothed = [smooth_profiles(a, sigma, truncate) for a in (profiles, probabilities)]
    return jensen_shannon_divergence(*smoothed).mean(axis=-1)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two 1-D arrays; NaN when either is constant or too short."""
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return np.nan
    return float(np.corrcoef(a, b)[0, 1])


def log_count_correlations(
    true_log_counts: np.ndarray, predicted_log_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-task Pearson and Spearman correlations of log total counts.

    Parameters
    ----------
    true_log_counts : numpy.ndarray, shape (N, T, S)
        ``log(1 + observed total count)``.
    predicted_log_counts : numpy.ndarray, shape (N, T, S)
        The model's log counts.

    Returns
    -------
    pearson, spearman : numpy.ndarray, shape (T,), float64
        Over the N * S values of each task (examples and strands pooled, as the reference
        does); NaN where either side is constant. Spearman is Pearson of average ranks.
    """
    true_log_counts = np.asarray(true_log_counts, dtype=np.float64)
    predicted_log_counts = np.asarray(predicted_log_counts, dtype=np.float64)
    if true_log_counts.shape != predicted_log_counts.shape or true_log_counts.ndim != 3:
        raise ValueError(
            "true and predicted log counts must both be (N, T, S), got "
            f"{true_log_counts.shape} and {predicted_log_counts.shape}"
        )
    pearson, spearman = [], []
    for task in range(true_log_counts.shape[1]):
        a = true_log_counts[:, task].ravel()
        b = predicted_log_counts[:, task].ravel()
        pearson.append(_pearson(a, b))
        spearman.append(_pearson(scipy.stats.rankdata(a), scipy.stats.rankdata(b)))
    return np.array(pearson), np.array(spearman)


class ProfileMetricSums:
    """Accumulate profile metrics over batches; :meth:`result` summarises them.

    Parameters
    ----------
    sigma, truncate : float
        Smoothing before the JSD (:func:`profile_jsd`).

    Notes
    -----
    Per batch only the per-track NLL sum, the per-example JSDs and the ``(B, T, S)`` log
    counts are kept, so memory grows with N * T * S, never with the profile length.
    """

    def __init__(
        self, sigma: float = JSD_SMOOTH_SIGMA, truncate: float = JSD_SMOOTH_TRUNCATE
    ) -> None:
        self.sigma, self.truncate = sigma, truncate
        self._nll_sum, self._n_tracks = 0.0, 0
        self._jsd: list[np.ndarray] = []
        self._true: list[np.ndarray] = []
        self._predicted: list[np.ndarray] = []

    def add(
        self,
        profiles: np.ndarray,
        log_probabilities: np.ndarray,
        predicted_log_counts: np.ndarray,
        nll: np.ndarray,
    ) -> None:
        """Add one batch.

        Parameters
        ----------
        profiles : numpy.ndarray, shape (B, T, S, L)
            Observed counts.
        log_probabilities : numpy.ndarray, shape (B, T, S, L)
            Predicted log-probabilities over positions (log softmax of the logits).
        predicted_log_counts : numpy.ndarray, shape (B, T, S)
        nll : numpy.ndarray, shape (B, T, S)
            Multinomial NLL per track (:func:`attrprior.losses.multinomial_nll`).
        """
        profiles = np.asarray(profiles, dtype=np.float64)
        self._nll_sum += float(np.sum(nll, dtype=np.float64))
        self._n_tracks += int(np.size(nll))
        probabilities = np.exp(np.asarray(log_probabilities, dtype=np.float64))
        self._jsd.append(profile_jsd(profiles, probabilities, self.sigma, self.truncate))
        self._true.append(np.log1p(profiles.sum(axis=-1)))
        self._predicted.append(np.asarray(predicted_log_counts, dtype=np.float64))

    def result(self) -> dict[str, float]:
        """Summary over everything added.

        Returns
        -------
        dict
            ``nll``: mean multinomial NLL over examples, tasks and strands; ``jsd``: mean
            over examples and tasks of :func:`profile_jsd` (NaN entries, from empty observed
            strands, left out); ``count_mse``: mean squared difference of observed
            ``log(1 + total)`` and predicted log counts; ``count_pearson`` and
            ``count_spearman``: :func:`log_count_correlations` averaged over tasks (NaN tasks
            left out); ``n_examples``. All NaN when nothing was added.
        """
        if not self._n_tracks:
            keys = ("nll", "jsd", "count_mse", "count_pearson", "count_spearman")
            return {**dict.fromkeys(keys, np.nan), "n_examples": 0}
        true = np.concatenate(self._true)
        predicted = np.concatenate(self._predicted)
        pearson, spearman = log_count_correlations(true, predicted)
        return {
            "nll": self._nll_sum / self._n_tracks,
            "jsd": _nanmean(np.concatenate(self._jsd)),
            "count_mse": float(np.mean((true - predicted) ** 2)),
            "count_pearson": _nanmean(pearson),
            "count_spearman": _nanmean(spearman),
            "n_examples": len(true),
        }


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (without a warning) when there are none."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else np.nan
