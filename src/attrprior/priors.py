"""Attribution priors: differentiable penalties on attribution maps.

Every prior takes attributions of shape ``(N, 4, L)`` (examples, bases A/C/G/T,
positions) as a torch tensor and returns one loss per example, shape ``(N,)``,
so that it can be back-propagated through (double backprop when the
attributions are input gradients built with ``create_graph=True``).

All priors first reduce the attributions to a per-position track
``g_i = sum_b |a_{b,i}|`` of shape ``(N, L)``.

- ``fourier_prior``: the Fourier-based prior of Tseng, Shrikumar & Kundaje
  (2020), as their reference implementation computes it.
- ``smoothness_prior`` and ``sparsity_prior``: the rival priors of Erion et
  al. (2019) as used in Tseng et al. Section 8.
- ``angle_prior``: the angle regulariser of Majdandzic et al. (2023), on raw
  input gradients rather than gradient × input.
- ``l2_penalty``: the weight-decay baseline.
- ``prior_loss``: the batch loss, the mean of a per-example prior over the
  positive examples only.
"""

from collections.abc import Callable, Mapping

import torch

__all__ = [
    "PRIORS",
    "angle_prior",
    "fourier_prior",
    "gaussian_kernel",
    "l2_penalty",
    "prior_loss",
    "smooth_track",
    "smoothness_prior",
    "sparsity_prior",
]


def _check_attr(attr: torch.Tensor, name: str = "attr") -> None:
    """Raise a ValueError unless `attr` is a tensor of shape (N, 4, L)."""

    if not isinstance(attr, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(attr).__name__}.")
    if attr.ndim != 3 or attr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4, L), got {tuple(attr.shape)}.")


def _track(attr: torch.Tensor) -> torch.Tensor:
    """The per-position importance track g_i = sum_b |a_{b,i}|, shape (N, L)."""

    return attr.abs().sum(dim=1)


def gaussian_kernel(sigma: float, device: torch.device | str | None = None) -> torch.Tensor:
    """A normalised Gaussian kernel truncated at one sigma on each side.

    This is the kernel of the reference ``smooth_tensor_1d`` (Tseng et al.):
    ``scipy.ndimage.gaussian_filter`` with ``truncate=1``, i.e. a radius of
    ``int(sigma + 0.5)`` positions, weights ``exp(-x^2 / (2 sigma^2))`` for
    ``x = -radius .. radius``, normalised to sum to 1. For ``sigma = 3`` the
    7 weights are about ``[0.1063, 0.1403, 0.1658, 0.1752, 0.1658, 0.1403,
    0.1063]``.

    Parameters
    ----------
    sigma: float
        The standard deviation of the Gaussian, in positions. 0 means no
        smoothing and gives the identity kernel ``[1.0]``.
    device: torch.device or str, optional
        Where the kernel is computed (default the CPU): on the device that uses it, so
        that no copy from the host makes it wait.

    Returns
    -------
    kernel: torch.Tensor, shape=(2 * int(sigma + 0.5) + 1,), dtype=torch.float64
        The kernel weights, summing to 1.
    """

    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}.")
    if sigma == 0:
        return torch.ones(1, dtype=torch.float64, device=device)

    # scipy rounds truncate * sigma to the nearest integer to get the radius.
    radius = int(sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64, device=device)
    weights = torch.exp(-0.5 * (x / sigma) ** 2)
    return weights / weights.sum()


def smooth_track(track: torch.Tensor, sigma: float) -> torch.Tensor:
    """Smooth each row of a track with a truncated Gaussian kernel.

    The convolution uses zero padding, so the output has the input's length
    and positions near either end see a kernel cut off by the padding (as in
    the reference implementation).

    Parameters
    ----------
    track: torch.Tensor, shape=(N, L)
        The tracks to smooth, one per example.
    sigma: float
        The standard deviation of the kernel (see ``gaussian_kernel``). 0
        returns `track` unchanged.

    Returns
    -------
    smoothed: torch.Tensor, shape=(N, L)
        The smoothed tracks, same dtype and device as `track`.
    """

    if not isinstance(track, torch.Tensor) or track.ndim != 2:
        shape = tuple(track.shape) if isinstance(track, torch.Tensor) else type(track).__name__
        raise ValueError(f"track must be a torch.Tensor of shape (N, L), got {shape}.")

    kernel = gaussian_kernel(sigma, track.device)
    if kernel.numel() == 1:
        return track

    kernel = kernel.to(track.dtype)
    radius = (kernel.numel() - 1) // 2
    # conv1d is a cross-correlation; the kernel is symmetric so this is a convolution.
    smoothed = torch.nn.functional.conv1d(track.unsqueeze(1), kernel.view(1, 1, -1), padding=radius)
    return smoothed.squeeze(1)


def _frequency_weights(
    n_bins: int,
    freq_limit: int,
    limit_softness: float | None,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """Weights w_k for the frequencies k = 1 .. n_bins (DC excluded).

    w_k = 1 for k <= freq_limit; above it w_k = 1 / (1 + (k - freq_limit)^s),
    or 0 when `limit_softness` is None (a hard cut).
    """

    k = torch.arange(1, n_bins + 1, dtype=dtype, device=device)
    above = k > freq_limit
    if limit_softness is None:
        decay = torch.zeros_like(k)
    else:
        # clamp keeps the power finite below the limit, where it is not used.
        decay = 1.0 / (1.0 + (k - freq_limit).clamp(min=1.0) ** limit_softness)
    return torch.where(above, decay, torch.ones_like(k))


def fourier_prior(
    attr: torch.Tensor,
    freq_limit: int,
    limit_softness: float | None = 0.2,
    smooth_sigma: float = 3,
) -> torch.Tensor:
    """The Fourier-based attribution prior, one loss per example.

    Follows ``fourier_att_prior_loss`` of Tseng et al. (2020):

    1. ``g_i = sum_b |a_{b,i}|``;
    2. smooth ``g`` with ``smooth_track(g, smooth_sigma)``;
    3. ``m_k = |rfft(g)_k|`` for ``k = 0 .. L // 2``;
    4. normalise by the sum of all magnitudes, DC included:
       ``m_hat_k = m_k / sum_j m_j``, then drop DC;
    5. weights ``w_k = 1`` for ``1 <= k <= freq_limit`` and
       ``w_k = 1 / (1 + (k - freq_limit)^limit_softness)`` above it
       (``w_k = 0`` above it when `limit_softness` is None);
    6. loss ``= 1 - sum_{k >= 1} w_k m_hat_k``.

    The loss lies in [0, 1]; it is low when the track's non-DC energy sits
    at low frequencies. An all-zero track has all magnitudes 0 and its loss
    is defined as 1 (the reference keeps the zero magnitudes), with a zero,
    finite gradient.

    Parameters
    ----------
    attr: torch.Tensor, shape=(N, 4, L)
        Attributions (e.g. input gradient times input).
    freq_limit: int
        T, the highest frequency (in cycles per L positions) that is not
        penalised. 150 for the binary models, 200 for the profile models.
    limit_softness: float or None, optional
        s, the softness of the limit. None for a hard cut. Default 0.2.
    smooth_sigma: float, optional
        Standard deviation of the Gaussian smoothing of the track. 0 for no
        smoothing. Default 3.

    Returns
    -------
    loss: torch.Tensor, shape=(N,)
        The per-example prior loss.
    """

    _check_attr(attr)
    if freq_limit < 0:
        raise ValueError(f"freq_limit must be >= 0, got {freq_limit}.")

    track = smooth_track(_track(attr), smooth_sigma)
    mags = torch.fft.rfft(track, dim=-1).abs()

    total = mags.sum(dim=-1, keepdim=True)
    # A zero track has zero magnitudes; dividing by 1 keeps them 0, not NaN.
    total = torch.where(total == 0, torch.ones_like(total), total)
    mags = (mags / total)[:, 1:]

    weights = _frequency_weights(mags.shape[1], freq_limit, limit_softness, mags.dtype, mags.device)
    return 1.0 - (mags * weights).sum(dim=-1)


def smoothness_prior(attr: torch.Tensor) -> torch.Tensor:
    """The smoothness prior: total variation of the track, one per example.

    ``loss = sum_i |g_{i+1} - g_i|`` with ``g_i = sum_b |a_{b,i}|`` and no
    Gaussian smoothing.

    Parameters
    ----------
    attr: torch.Tensor, shape=(N, 4, L)
        Attributions.

    Returns
    -------
    loss: torch.Tensor, shape=(N,)
        The per-example prior loss.
    """

    _check_attr(attr)
    track = _track(attr)
    return (track[:, 1:] - track[:, :-1]).abs().sum(dim=-1)


def sparsity_prior(attr: torch.Tensor) -> torch.Tensor:
    """The sparsity prior: minus twice the Gini coefficient of the track.

    ``loss = -(sum_i sum_j |g_i - g_j|) / (L * sum_i g_i)``. It is 0 for a
    flat track and reaches its minimum, ``-2 (L - 1) / L``, when all the
    mass sits on one position. An all-zero track has loss 0.

    The double sum is computed in O(L log L) from the sorted track: with
    ``g_(0) <= ... <= g_(L-1)``, ``sum_{i<j} |g_i - g_j| =
    sum_k (2k - L + 1) g_(k)``, and the full double sum is twice that.

    Parameters
    ----------
    attr: torch.Tensor, shape=(N, 4, L)
        Attributions.

    Returns
    -------
    loss: torch.Tensor, shape=(N,)
        The per-example prior loss.
    """

    _check_attr(attr)
    track = _track(attr)
    length = track.shape[-1]

    ordered = torch.sort(track, dim=-1).values
    k = torch.arange(length, dtype=track.dtype, device=track.device)
    pair_sum = (ordered * (2 * k - length + 1)).sum(dim=-1)

    total = track.sum(dim=-1)
    # Zero mass: the numerator is 0 too, so divide by 1 to return 0.
    total = torch.where(total == 0, torch.ones_like(total), total)
    return -2.0 * pair_sum / (length * total)


def l2_penalty(
    model: torch.nn.Module, parameters: Mapping[str, torch.Tensor] | None = None
) -> torch.Tensor:
    """The sum of squares of all the parameters of a model.

    Parameters
    ----------
    model: torch.nn.Module
        The model.
    parameters: mapping of str to torch.Tensor, optional
        A pack's stacked parameters, each ``(S, ...)``
        (:attr:`attrprior.packing.SeedPack.parameters`): then the penalty of each of
        the S seeds.

    Returns
    -------
    penalty: torch.Tensor, shape=() or (S,)
        ``sum_p sum(p^2)`` over every parameter p (weights, biases and
        normalisation parameters alike); 0 for a model without parameters.
    """

    if parameters is not None:
        squares = [p.pow(2).flatten(1).sum(1) for p in parameters.values()]
        if not squares:
            raise ValueError("l2_penalty of a pack needs its stacked parameters, got none")
        return torch.stack(squares).sum(0)
    squares = [p.pow(2).sum() for p in model.parameters()]
    if not squares:
        return torch.zeros(())
    return torch.stack(squares).sum()


def angle_prior(grad: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Angle regulariser of Majdandzic et al. (2023): ``sqrt(sum_i theta_i^2)`` per example.

    ``theta_i`` is the angle in degrees between position i's gradient and the simplex plane,
    ``sin theta = (sum_b G_b) / (2 ||G||_2)`` (see :func:`attrprior.correction.simplex_angles`).
    The reference trains with ``BCE + reg * mean_n sqrt(sum_i theta_i^2)`` on raw input
    gradients (not gradient × input), over all examples.

    Parameters
    ----------
    grad: torch.Tensor, shape=(N, 4, L)
        Input gradients.
    eps: float
        Added to the norm so a zero gradient column gives angle 0 (the reference gives NaN);
        the sine is clamped inside (-1, 1) so that arcsin keeps a finite gradient.

    Returns
    -------
    loss: torch.Tensor, shape=(N,)
    """

    _check_attr(grad, "grad")
    norm = torch.sqrt(grad.pow(2).sum(dim=1) + eps)
    sine = (grad.sum(dim=1) / (2 * norm)).clamp(-1 + 1e-6, 1 - 1e-6)
    theta = torch.rad2deg(torch.asin(sine))
    return torch.sqrt(theta.pow(2).sum(dim=-1) + eps)


PRIORS: dict[str, Callable[..., torch.Tensor]] = {
    "fourier": fourier_prior,
    "smoothness": smoothness_prior,
    "sparsity": sparsity_prior,
    "angle": angle_prior,
}
"""Per-example priors by name; each maps (N, 4, L) attributions to (N,) losses."""


def prior_loss(name: str, attr: torch.Tensor, is_positive: torch.Tensor, **params) -> torch.Tensor:
    """The batch prior loss: the mean per-example prior over the selected examples.

    Callers select positives only for the attribution priors (Tseng et al.: negative
    examples do not enter the loss) and every example for the angle prior. When the
    batch has no positive example the loss is 0, on `attr`'s device (in its graph for one
    batch; a constant for a pack's seed, so that non-finite attributions of a seed without
    positives still give an exact 0).

    With a leading seed axis (the S seeds of a pack, :mod:`attrprior.packing`), one loss per
    seed comes from one call of the prior on the positives of all seeds.

    Parameters
    ----------
    name: str
        A key of ``PRIORS``: "fourier", "smoothness", "sparsity" or "angle".
    attr: torch.Tensor, shape=(N, 4, L) or (S, N, 4, L)
        Attributions for the whole batch (of each seed).
    is_positive: torch.Tensor, shape=(N,) or (S, N), dtype=torch.bool
        Which examples enter the loss (the positives).
    **params
        Keyword arguments of the prior, e.g. ``freq_limit=150`` for
        "fourier".

    Returns
    -------
    loss: torch.Tensor, shape=() or (S,)
        The mean prior loss over the positive examples (of each seed).
    """

    if name not in PRIORS:
        raise ValueError(f"name must be one of {sorted(PRIORS)}, got {name!r}.")
    if isinstance(attr, torch.Tensor) and attr.ndim == 4:
        return _seed_prior_losses(name, attr, is_positive, **params)
    _check_attr(attr)

    is_positive = torch.as_tensor(is_positive, device=attr.device)
    if is_positive.shape != (attr.shape[0],):
        raise ValueError(
            f"is_positive must have shape ({attr.shape[0]},) to match attr, "
            f"got {tuple(is_positive.shape)}."
        )
    # One wait for the device: the number of positives. Indexing with their positions,
    # not the boolean mask, keeps the backward pass from selecting them again.
    index = is_positive.bool().nonzero().squeeze(1)
    if not len(index):
        return attr.sum() * 0.0
    return PRIORS[name](attr[index], **params).mean()


def _seed_prior_losses(
    name: str, attr: torch.Tensor, is_positive: torch.Tensor, **params
) -> torch.Tensor:
    """:func:`prior_loss` of each seed of ``attr`` ``(S, N, 4, L)``: ``(S,)``.

    The per-example priors of the positives of all seeds come from one call; put back in
    their ``(S, N)`` places (0 elsewhere) they are summed per seed. Nothing waits for the
    device but the one selection of the positives (instead of one per seed); a seed without
    positives gets 0.
    """
    _check_attr(attr.flatten(0, 1))
    is_positive = torch.as_tensor(is_positive, device=attr.device).bool()
    if is_positive.shape != attr.shape[:2]:
        raise ValueError(
            f"is_positive must have shape {tuple(attr.shape[:2])} to match attr, "
            f"got {tuple(is_positive.shape)}."
        )
    index = is_positive.flatten().nonzero().squeeze(1)
    if not len(index):  # the selection's size is known on the host: no further wait
        return attr.new_zeros(attr.shape[0])
    values = PRIORS[name](attr.flatten(0, 1)[index], **params)
    per_example = values.new_zeros(is_positive.numel()).index_put((index,), values)
    return per_example.view(is_positive.shape).sum(-1) / is_positive.sum(-1).clamp(min=1)
