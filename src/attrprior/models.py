"""Convolutional networks of the two papers, in PyTorch.

Inputs are one-hot sequences ``(N, 4, L)`` (examples, bases A/C/G/T,
positions); outputs are logits ``(N, n_tasks)``.

The Koo-lab models (CNN-shallow, CNN-deep; Majdandzic et al. 2023, Koo &
Ploenzke 2021) are ports of Keras models, so the Keras defaults are matched:
BatchNorm momentum 0.01 (Keras 0.99) and eps 1e-3, ``he_normal`` kernels
(truncated normal), zero biases, Glorot-uniform output layer.

The binary model of Tseng, Shrikumar & Kundaje (2020) (:class:`TsengBinaryCNN`) is a port of
a PyTorch model, so it keeps the PyTorch defaults (initialisation, BatchNorm momentum 0.1 and
eps 1e-5). So does their BPNet-like profile model (:class:`TsengProfileCNN`), whose outputs
are profile logits ``(N, T, S, L_out)`` and log counts ``(N, T, S)`` instead.

Every model is DeepLIFT-safe: each nonlinearity is its own module, created in
``__init__`` and called once, nothing in-place, and max-pooling has
``kernel_size == stride``. The exponential activation is the module
:class:`Exp`, which :func:`attrprior.deepshap.deepshap` registers with
tangermeme's nonlinear DeepLIFT rule.

BatchNorm layers are :class:`BatchNorm1d`, the same maths as ``torch.nn.BatchNorm1d`` written
so that double backpropagation (the attribution priors) is cheaper on CPU.
"""

from __future__ import annotations

import io
import math
import pickle
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from attrprior.io import atomic_path

# Koo-lab CNNs (KooCNN) first, then the Tseng et al. binary and profile models.
KOO_ARCHITECTURES = ("cnn_shallow", "cnn_deep")
ARCHITECTURES = (*KOO_ARCHITECTURES, "tseng_binary", "tseng_profile")
ACTIVATIONS = ("relu", "exponential")

# Keras BatchNormalization(momentum=0.99, epsilon=1e-3); PyTorch momentum is 1 - Keras momentum.
KERAS_BN = {"momentum": 0.01, "eps": 1e-3}
# Keras he_normal draws from a normal truncated at 2 sd and rescales the sd by this factor so
# the truncated distribution has variance 2 / fan_in.
TRUNCATED_NORMAL_SD_CORRECTION = 0.87962566103423978


class BatchNorm1d(nn.BatchNorm1d):
    """``torch.nn.BatchNorm1d`` whose training-mode forward is built from ``torch.var_mean``.

    Same outputs, running statistics (unbiased variance, exponential moving average) and
    state dict as the PyTorch module. Why: the attribution priors differentiate the input
    gradient again (double backpropagation), and PyTorch's BatchNorm double backward is a slow
    generic formula on CPU; composing the layer from ``var_mean``, a multiply and an add lets
    autograd reuse fast kernels (``benchmarks/prior_step.py``: the Fourier step fell from
    about 2.8x to about 2.4x the plain step). Evaluation mode, a ``momentum`` of ``None`` and
    ``track_running_stats=False`` use the PyTorch implementation.

    With :attr:`fixed_statistics` set (see :func:`fixed_batch_statistics`), training mode
    normalises by the batch's statistics held as constants: the same outputs, but no
    gradient flows through the mean and variance, so an example's output depends on its own
    input only, and the running statistics are left alone.

    With :attr:`statistics_sink` set to a list, training mode appends ``(layer, batch mean,
    unbiased batch variance)`` (each ``(C,)``, detached) to it instead of updating the
    running statistics, for the caller to apply
    (:class:`attrprior.packing.SeedPack` applies those of all seeds at once: an in-place
    update under :func:`torch.func.vmap` would run seed by seed). The sink is not used with
    a ``momentum`` of ``None`` or ``track_running_stats=False``: those go to the PyTorch
    implementation (and :class:`attrprior.packing.SeedPack` refuses ``momentum=None``).

    Inputs are ``(N, C)`` or ``(N, C, L)``.
    """

    fixed_statistics: bool = False
    statistics_sink: list | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        if self.fixed_statistics:
            self._check_input_dim(x)
            var, mean = torch.var_mean(
                x.detach(), self._reduced_dims(x), correction=0, keepdim=True
            )
            return self._normalise(x, mean, var)
        if self.momentum is None or not self.track_running_stats:
            return super().forward(x)
        self._check_input_dim(x)
        var, mean = torch.var_mean(x, self._reduced_dims(x), correction=0, keepdim=True)
        with torch.no_grad():
            n = x.numel() // x.shape[1]
            unbiased = var.flatten() * (n / max(n - 1, 1))
            if self.statistics_sink is not None:
                self.statistics_sink.append((self, mean.flatten().detach(), unbiased.detach()))
            else:
                self.running_mean.lerp_(mean.flatten(), self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
                self.num_batches_tracked.add_(1)
        return self._normalise(x, mean, var)

    @staticmethod
    def _reduced_dims(x: torch.Tensor) -> list[int]:
        return [0] if x.dim() == 2 else [0, 2]

    def _normalise(self, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / sqrt(var + eps)``, scaled and shifted; statistics ``(1, C[, 1])``."""
        scale = torch.rsqrt(var + self.eps)
        shift = -mean * scale
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            scale = scale * self.weight.view(shape)
            shift = shift * self.weight.view(shape) + self.bias.view(shape)
        return x * scale + shift


@contextmanager
def fixed_batch_statistics(model: nn.Module) -> Iterator[None]:
    """Within the block, ``model``'s BatchNorm layers hold the batch statistics fixed.

    In training mode each :class:`BatchNorm1d` of ``model`` then normalises by the mean and
    variance of the batch it is given, as usual, but as constants: the outputs are unchanged,
    an example's outputs depend on its own input only, and running statistics are not
    updated. The per-example input gradients of the attribution priors
    (``prior_gradient: per_example``, :mod:`attrprior.train`) are taken through this.

    Raises
    ------
    TypeError
        If ``model`` has a BatchNorm layer that is not a :class:`BatchNorm1d` of this module
        (its statistics could not be held fixed).
    """
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    foreign = sorted({type(m).__name__ for m in layers if not isinstance(m, BatchNorm1d)})
    if foreign:
        raise TypeError(
            f"fixed_batch_statistics needs attrprior.models.BatchNorm1d layers, got {foreign}"
        )
    for layer in layers:
        layer.fixed_statistics = True
    try:
        yield
    finally:
        for layer in layers:
            layer.fixed_statistics = False


class Dropout(nn.Dropout):
    """``torch.nn.Dropout`` that can be handed its mask.

    With :attr:`mask` unset it is ``torch.nn.Dropout``. Set (``(N, *shape)`` of 0 and 1, the
    shape of the input), the layer returns ``x * mask / (1 - p)`` in training mode, the
    value ``torch.nn.Dropout`` gives when it draws that mask. Why: seeds trained together as
    one batched model (:mod:`attrprior.packing`) draw each seed's masks from that seed's own
    random stream, as the seed trained alone does.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mask is None or not self.training or self.p == 0:
            return super().forward(x)
        if self.p == 1:  # every unit dropped, as torch.nn.Dropout
            return x * 0.0
        return x * self.mask * (1.0 / (1.0 - self.p))


class Exp(nn.Module):
    """Elementwise exponential, as a module so that DeepLIFT can find it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module: ``"relu"`` or ``"exponential"``."""
    if name == "relu":
        return nn.ReLU()
    if name == "exponential":
        return Exp()
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def he_normal_(weight: torch.Tensor) -> torch.Tensor:
    """Keras ``he_normal``: truncated normal (±2 sd), sd = sqrt(2 / fan_in) / 0.8796."""
    fan_in = weight[0].numel()  # in_channels * kernel_size for conv, in_features for linear
    sd = math.sqrt(2.0 / fan_in) / TRUNCATED_NORMAL_SD_CORRECTION
    return nn.init.trunc_normal_(weight, mean=0.0, std=sd, a=-2 * sd, b=2 * sd)


def _conv_block(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    activation: str,
    dropout: float,
    pool: int | None,
) -> list[nn.Module]:
    """Conv(same) -> BatchNorm -> activation -> Dropout [-> MaxPool(pool, stride=pool)]."""
    layers: list[nn.Module] = [
        nn.Conv1d(in_channels, out_channels, kernel_size, padding="same"),
        BatchNorm1d(out_channels, **KERAS_BN),
        make_activation(activation),
        Dropout(dropout),
    ]
    if pool is not None:
        layers.append(nn.MaxPool1d(pool, stride=pool))
    return layers


class KooCNN(nn.Module):
    """CNN-shallow or CNN-deep of Koo & Ploenzke (2021), used by Majdandzic et al. (2023).

    Parameters
    ----------
    architecture : {"cnn_shallow", "cnn_deep"}
    activation : {"relu", "exponential"}
        Activation of the first convolutional layer only; all later layers use ReLU.
    length : int
        Input length L; the flattened size depends on it.
    n_tasks : int
        Number of output logits.
    n_filters : int
        Filters of the first layer (24 in the papers).
    first_kernel_size : int
        Width of the first-layer filters (19 in the papers).

    Notes
    -----
    Input ``(N, 4, L)`` one-hot, output ``(N, n_tasks)`` logits (the Keras models end in a
    sigmoid; here the sigmoid is part of the loss). :meth:`kernel_l2` gives the Keras
    ``l2(1e-6)`` penalty on conv and hidden dense kernels.
    """

    #: Outside its nonlinear modules the forward pass is linear in each row
    #: (:func:`attrprior.deeplift.unsupported`).
    deeplift_rowwise_linear = True

    def __init__(
        self,
        architecture: str = "cnn_shallow",
        activation: str = "relu",
        length: int = 200,
        n_tasks: int = 1,
        n_filters: int = 24,
        first_kernel_size: int = 19,
        kernel_l2: float = 1e-6,
    ) -> None:
        super().__init__()
        if architecture not in KOO_ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {KOO_ARCHITECTURES}, got {architecture!r}"
            )
        self.kernel_l2_weight = kernel_l2
        first = _conv_block(4, n_filters, first_kernel_size, activation, 0.1, None)
        if architecture == "cnn_shallow":
            first.append(nn.MaxPool1d(50, stride=50))
            body = first + _conv_block(n_filters, 48, 3, "relu", 0.2, 2)
            out_channels, out_length = 48, (length // 50) // 2
        else:
            body = (
                first
                + _conv_block(n_filters, 32, 7, "relu", 0.2, 4)
                + _conv_block(32, 48, 7, "relu", 0.3, 4)
                + _conv_block(48, 64, 3, "relu", 0.4, 3)
            )
            out_channels, out_length = 64, ((length // 4) // 4) // 3
        if out_length < 1:
            raise ValueError(f"length={length} is too short for {architecture}")
        self.body = nn.Sequential(*body)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(out_channels * out_length, 96),
            BatchNorm1d(96, **KERAS_BN),
            nn.ReLU(),
            Dropout(0.5),
        )
        self.output = nn.Linear(96, n_tasks)
        self._init_keras()

    def _init_keras(self) -> None:
        for module in [*self.body, *self.head]:
            if isinstance(module, nn.Conv1d | nn.Linear):
                he_normal_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def kernel_l2(self, parameters: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Keras-style L2 penalty: weight × Σ w² over conv and hidden dense kernels.

        Of this model's own kernels (a scalar), or, given a pack's stacked ``parameters``
        (each ``(S, ...)``, :attr:`attrprior.packing.SeedPack.parameters`), of each
        of the S seeds: ``(S,)``.
        """
        kernels = {
            f"{part}.{index}.weight": module.weight
            for part, layers in (("body", self.body), ("head", self.head))
            for index, module in enumerate(layers)
            if isinstance(module, nn.Conv1d | nn.Linear)
        }
        if parameters is None:
            return self.kernel_l2_weight * sum(w.pow(2).sum() for w in kernels.values())
        return self.kernel_l2_weight * sum(
            parameters[name].pow(2).flatten(1).sum(1) for name in kernels
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.head(self.body(x)))


def build_model(architecture: str, **kwargs) -> nn.Module:
    """Build a model by architecture name (see :data:`ARCHITECTURES`).

    ``"cnn_shallow"`` and ``"cnn_deep"`` build :class:`KooCNN`; ``"tseng_binary"`` builds
    :class:`TsengBinaryCNN` and ``"tseng_profile"`` :class:`TsengProfileCNN`. The Tseng models
    are ReLU throughout: ``activation="relu"`` is accepted and ignored, so that one config or
    checkpoint layout serves every architecture, and any other activation is refused with a
    ValueError.
    """
    if architecture in KOO_ARCHITECTURES:
        return KooCNN(architecture, **kwargs)
    tseng = {"tseng_binary": TsengBinaryCNN, "tseng_profile": TsengProfileCNN}
    if architecture in tseng:
        activation = kwargs.pop("activation", "relu")
        if activation != "relu":
            raise ValueError(
                f"activation: {architecture} is ReLU throughout, got activation={activation!r}"
            )
        return tseng[architecture](**kwargs)
    raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")


def save_checkpoint(path, state_dict: dict, architecture: dict, **metadata) -> None:
    """Save weights with what :func:`load_checkpoint` needs to rebuild the model (atomic).

    ``architecture`` holds the keyword arguments of :func:`build_model` (including
    ``architecture``, ``length`` and ``n_tasks``); ``metadata`` (condition, seed, ...) is
    stored alongside.
    """
    # Serialised in memory first: torch.save names the archive's records after the file it
    # writes, and the temporary file's random name would make identical runs differ.
    buffer = io.BytesIO()
    torch.save({"state_dict": state_dict, "architecture": architecture, **metadata}, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_checkpoint(path, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild a model saved by :func:`save_checkpoint`, in eval mode on ``device``.

    Returns the model and the whole checkpoint dictionary.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"model checkpoint not found: {path}")
    try:
        # Read on the CPU, so that only a broken file lands here (not a missing GPU).
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
        raise ValueError(
            f"{path}: not a readable model checkpoint (truncated or not written by "
            f"save_checkpoint; delete it and rerun the training): {error}"
        ) from error
    architecture = dict(checkpoint["architecture"])
    if architecture["architecture"] == "tseng_profile":
        # Profile checkpoints written before log(1 + control total) became the default
        # (they do not record it) were trained on raw totals.
        architecture.setdefault("log_control_counts", False)
    model = build_model(**architecture)
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval(), checkpoint


# ---------------------------------------------------------------------------------------------
# Tseng, Shrikumar & Kundaje (2020): the binary model
# ---------------------------------------------------------------------------------------------


def _relu_bn_dropout(features: int, dropout: float) -> list[nn.Module]:
    """ReLU -> BatchNorm -> Dropout, the order of the reference (ReLU *before* BatchNorm)."""
    return [nn.ReLU(), BatchNorm1d(features), Dropout(dropout)]


class TsengBinaryCNN(nn.Module):
    """The binary model of Tseng, Shrikumar & Kundaje (2020).

    ``3 x [Conv1d (valid, stride 1) -> ReLU -> BatchNorm -> Dropout]`` -> ``MaxPool(pool,
    stride=pool)`` -> Flatten -> ``2 x [Linear -> ReLU -> BatchNorm -> Dropout]`` ->
    ``Linear(fc_sizes[-1], n_tasks)``. With the defaults and ``length=1000`` the positions go
    1000 -> 986 -> 972 -> 960 -> 24, so the flattened size is 24 x 64 = 1536.

    Parameters
    ----------
    length : int
        Input length L (1000 in the paper); the flattened size depends on it.
    n_tasks : int
        Number of output logits.
    n_filters : int
        Filters of every convolutional layer (64).
    kernel_sizes : tuple of int
        Widths of the convolutional filters, one per layer ((15, 15, 13)).
    pool : int
        Max-pooling width and stride (40). Positions left over at the end are dropped.
    fc_sizes : tuple of int
        Widths of the hidden fully connected layers ((50, 15)).
    dropout : float
        Dropout rate after every convolutional and hidden fully connected layer (0 in the
        paper; the reference has separate, both-zero, conv and FC rates).

    Notes
    -----
    Input ``(N, 4, L)`` one-hot (bases A/C/G/T, positions), output ``(N, n_tasks)`` logits.
    Matches ``BinaryPredictor`` in ``src/model/binary_models.py`` of
    ``amtseng/fourier_attribution_priors``:

    - layer order Conv/Linear -> ReLU -> BatchNorm -> Dropout (BatchNorm after the ReLU);
    - the flattened vector is channel-major (``channel * n_pooled + position``), as the
      reference's ``view(batch, -1)`` of the (N, C, L) pooled tensor gives;
    - PyTorch default initialisation and BatchNorm settings (momentum 0.1, eps 1e-5): the
      reference sets neither.

    Differences: the reference takes ``(N, L, 4)`` and transposes inside; here the input is
    already ``(N, 4, L)`` like every model of this package. The reference reuses one ReLU
    module everywhere; here each ReLU is its own module so DeepLIFT can hook it. There is no
    ``kernel_l2`` method: the model has no built-in penalty (L2 is a training condition).
    """

    #: Outside its nonlinear modules the forward pass is linear in each row
    #: (:func:`attrprior.deeplift.unsupported`).
    deeplift_rowwise_linear = True

    def __init__(
        self,
        length: int = 1000,
        n_tasks: int = 1,
        n_filters: int = 64,
        kernel_sizes: tuple[int, ...] = (15, 15, 13),
        pool: int = 40,
        fc_sizes: tuple[int, ...] = (50, 15),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not kernel_sizes or not fc_sizes:
            raise ValueError("kernel_sizes and fc_sizes need at least one layer each")
        conv_length = length - sum(k - 1 for k in kernel_sizes)
        n_pooled = conv_length // pool
        if n_pooled < 1:
            raise ValueError(
                f"length={length} is too short: the convolutions leave {conv_length} positions, "
                f"fewer than one max-pool window of {pool}"
            )
        body: list[nn.Module] = []
        in_channels = 4
        for kernel_size in kernel_sizes:
            body.append(nn.Conv1d(in_channels, n_filters, kernel_size))  # valid, stride 1
            body += _relu_bn_dropout(n_filters, dropout)
            in_channels = n_filters
        # kernel == stride: DeepLIFT's max-pool rule needs non-overlapping windows.
        body.append(nn.MaxPool1d(pool, stride=pool))
        self.body = nn.Sequential(*body)

        head: list[nn.Module] = [nn.Flatten()]
        in_features = n_filters * n_pooled
        for size in fc_sizes:
            head.append(nn.Linear(in_features, size))
            head += _relu_bn_dropout(size, dropout)
            in_features = size
        self.head = nn.Sequential(*head)
        self.output = nn.Linear(in_features, n_tasks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.head(self.body(x)))


# ---------------------------------------------------------------------------------------------
# Tseng, Shrikumar & Kundaje (2020): the profile model (BPNet-like)
# ---------------------------------------------------------------------------------------------


def dilated_valid_length(
    length: int, kernel_sizes: tuple[int, ...], dilations: tuple[int, ...]
) -> int:
    """Positions of a dilated stack's output that never see the zero padding.

    Each "same"-padded layer of kernel k and dilation d widens the receptive field by
    ``d * (k - 1)``; the positions whose whole receptive field lies inside the input number
    ``length - sum_i d_i (k_i - 1)`` (1346 - 272 = 1074 with the paper's settings).
    """
    return length - sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations, strict=True))


#: Initialisations of TsengProfileCNN's counts mixing (see its ``counts_mix_init``).
COUNTS_MIX_INITS = ("identity", "pytorch")


class TsengProfileCNN(nn.Module):
    """The profile model of Tseng, Shrikumar & Kundaje (2020), a variant of BPNet.

    Body: ``len(kernel_sizes)`` dilated convolutions (``n_filters`` filters, kernel
    ``kernel_sizes[i]``, dilation ``dilations[i]``, "same" zero padding, stride 1), each
    followed by its own ReLU module. Layer 0 reads the one-hot input; layer ``i > 0`` reads
    the sum of the outputs of layers ``0 .. i-1``. The output of the *last* layer is
    centre-cropped to the positions that never saw padding
    (:func:`dilated_valid_length`: 1346 -> 1074).

    Profile head: ``Conv1d(n_filters, T*S, profile_kernel_size)`` (valid: 1074 -> 1000), the
    result viewed as ``(N, T, S, L_out)``, concatenated per task with that task's control
    profile ``(N, T, S_c, L_out)`` into ``T`` groups of ``S + S_c`` channels, and mixed by a
    grouped 1x1 convolution (``groups=T``) into the logits ``(N, T, S, L_out)``.

    Counts head: mean over the cropped positions (global average pooling) ->
    ``Linear(n_filters, T*S)`` -> ``(N, T, S)``, concatenated per task with the control's
    total counts (``log(1 + total)`` by default, or the raw sums as the reference;
    ``(N, T, S_c)``), then a grouped 1x1 convolution (``groups=T``) -> log counts
    ``(N, T, S)`` (natural log).

    Without controls (``control_strands=None``) the grouped 1x1 convolutions see only the
    model's own ``S`` channels per task.

    Parameters
    ----------
    length : int
        Input length L_in (1346 in the paper).
    n_tasks : int
        T, the number of tasks.
    n_strands : int
        S, profile tracks per task (2 for stranded ChIP-seq, 1 for DNase-seq).
    control_strands : int or None
        S_c, control tracks per task; None builds a model without controls.
    n_filters : int
        Filters of every dilated convolution (64).
    kernel_sizes : tuple of int
        Kernel of each dilated convolution, all odd ((21, 3, 3, 3, 3, 3, 3)).
    dilations : tuple of int, optional
        Dilation of each layer; default ``2**i`` (1, 2, 4, ..., 64).
    profile_kernel_size : int
        Width of the profile head's convolution (75).
    output_length : int, optional
        L_out; computed when None (1000 with the defaults), checked when given.
    log_control_counts : bool
        Feed the counts head ``log(1 + control total)`` (default, as later BPNet versions
        do) instead of the raw total (False: the reference).
    counts_mix_init : {"identity", "pytorch"}
        Initial weights of the counts head's grouped 1x1 convolution: ``"identity"``
        (default) passes each strand's own count through unchanged and gives the control
        weight 0 (bias 0), so the model starts as one without controls and weighs the
        control in as training finds it useful; ``"pytorch"`` is PyTorch's default
        initialisation (the reference). Only the initial weights differ.

        Why: on a synthetic task whose counts the sequence decides
        (:mod:`attrprior.learnability`), the reference's counts head (raw totals, PyTorch
        initialisation) had not learnt the counts after 2,000 Adam steps (log-count
        Pearson 0.04-0.17 in 2 of 3 seeds): its random mixing weights make the control's
        noisy total as large an input as the model's own prediction and scale the own
        path by a random factor. With the identity start and log totals it reached
        0.94-0.96 by 1,500 steps (benchmarks/profile_counts.py, benchmarks/README.md).

    Notes
    -----
    ``forward(x, control)``: ``x`` one-hot ``(N, 4, L_in)``; ``control`` ``(N, T, S_c,
    L_out)`` or ``(N, 1, S_c, L_out)`` (one control shared by every task), or None for a
    model without controls. Returns ``(profile_logits, log_counts)``, shapes ``(N, T, S,
    L_out)`` and ``(N, T, S)``.

    Matches ``ProfilePredictorWithMatchedControls`` / ``...SharedControls`` /
    ``...WithoutControls`` of ``src/model/profile_models.py`` in
    ``amtseng/fourier_attribution_priors``, with these differences: inputs are ``(N, 4, L)``
    and profiles ``(N, T, S, L)`` (the reference puts positions before bases and strands);
    each ReLU is its own module (the reference reuses one, which DeepLIFT cannot hook); the
    counts head's 1x1 convolution is grouped by task, so that each task's counts see only
    its own control, as the profile head does; by default the control counts enter as
    ``log(1 + total)`` and the counts mixing starts from the identity (the reference: raw
    totals, PyTorch initialisation: ``log_control_counts=False, counts_mix_init="pytorch"``).
    Every other layer has PyTorch's default initialisation.
    """

    #: Outside its ReLU modules the forward pass is linear in each row (the log of the
    #: control counts touches the control only): :func:`attrprior.deeplift.unsupported`.
    deeplift_rowwise_linear = True

    def __init__(
        self,
        length: int = 1346,
        n_tasks: int = 1,
        n_strands: int = 2,
        control_strands: int | None = 2,
        n_filters: int = 64,
        kernel_sizes: tuple[int, ...] = (21, 3, 3, 3, 3, 3, 3),
        dilations: tuple[int, ...] | None = None,
        profile_kernel_size: int = 75,
        output_length: int | None = None,
        log_control_counts: bool = True,
        counts_mix_init: str = "identity",
    ) -> None:
        super().__init__()
        if counts_mix_init not in COUNTS_MIX_INITS:
            raise ValueError(
                f"counts_mix_init must be one of {COUNTS_MIX_INITS}, got {counts_mix_init!r}"
            )
        self.log_control_counts = log_control_counts
        kernel_sizes = tuple(int(k) for k in kernel_sizes)
        dilations = (
            tuple(2**i for i in range(len(kernel_sizes))) if dilations is None else dilations
        )
        dilations = tuple(int(d) for d in dilations)
        self._check_arguments(kernel_sizes, dilations, n_tasks, n_strands, control_strands)
        self.n_tasks, self.n_strands, self.control_strands = n_tasks, n_strands, control_strands
        self.input_length = length
        self.cropped_length = dilated_valid_length(length, kernel_sizes, dilations)
        computed = self.cropped_length - (profile_kernel_size - 1)
        if computed < 1 or (output_length is not None and output_length != computed):
            raise ValueError(
                f"length={length}: the dilated convolutions leave {self.cropped_length} "
                f"positions and the profile kernel {profile_kernel_size} leaves {computed}, "
                f"expected output_length={output_length}"
            )
        self.output_length = computed

        self.convs = nn.ModuleList()
        self.relus = nn.ModuleList()
        in_channels = 4
        for kernel_size, dilation in zip(kernel_sizes, dilations, strict=True):
            padding = dilation * (kernel_size - 1) // 2  # "same": keeps every layer's length
            self.convs.append(
                nn.Conv1d(in_channels, n_filters, kernel_size, dilation=dilation, padding=padding)
            )
            self.relus.append(nn.ReLU())
            in_channels = n_filters

        extra = control_strands or 0
        self.profile_conv = nn.Conv1d(n_filters, n_tasks * n_strands, profile_kernel_size)
        self.profile_mix = nn.Conv1d(
            n_tasks * (n_strands + extra), n_tasks * n_strands, 1, groups=n_tasks
        )
        self.counts_dense = nn.Linear(n_filters, n_tasks * n_strands)
        self.counts_mix = nn.Conv1d(
            n_tasks * (n_strands + extra), n_tasks * n_strands, 1, groups=n_tasks
        )
        if counts_mix_init == "identity":
            with torch.no_grad():
                # Weight (T*S, S + S_c, 1): output t*S + s reads input s of task t's group.
                self.counts_mix.weight.zero_()
                self.counts_mix.bias.zero_()
                for task in range(n_tasks):
                    for strand in range(n_strands):
                        self.counts_mix.weight[task * n_strands + strand, strand, 0] = 1.0

    @staticmethod
    def _check_arguments(kernel_sizes, dilations, n_tasks, n_strands, control_strands) -> None:
        if not kernel_sizes or len(dilations) != len(kernel_sizes):
            raise ValueError(
                f"kernel_sizes and dilations need one entry per layer (at least one), got "
                f"{kernel_sizes} and {dilations}"
            )
        if any(k < 1 or k % 2 == 0 for k in kernel_sizes) or any(d < 1 for d in dilations):
            raise ValueError(
                f'kernel_sizes must be odd and dilations positive ("same" padding), got '
                f"{kernel_sizes} and {dilations}"
            )
        if n_tasks < 1 or n_strands < 1 or (control_strands is not None and control_strands < 1):
            raise ValueError(
                f"n_tasks, n_strands and control_strands must be >= 1 (control_strands None "
                f"for no control), got {n_tasks}, {n_strands}, {control_strands}"
            )

    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Dilated stack and centre crop: ``(N, 4, L_in)`` -> ``(N, n_filters, L_crop)``."""
        total = None
        for conv, relu in zip(self.convs, self.relus, strict=True):
            out = relu(conv(x if total is None else total))
            last = out
            total = out if total is None else total + out
        start = (last.shape[-1] - self.cropped_length) // 2
        return last[:, :, start : start + self.cropped_length]

    def _check_control(self, x: torch.Tensor, control: torch.Tensor | None) -> torch.Tensor | None:
        """The control expanded to ``(N, T, S_c, L_out)``, or None; errors name the shapes."""
        if x.ndim != 3 or x.shape[1] != 4 or x.shape[2] != self.input_length:
            raise ValueError(f"x: expected (N, 4, {self.input_length}), got {tuple(x.shape)}")
        if self.control_strands is None:
            if control is not None:
                raise ValueError("control: this model was built without controls, pass None")
            return None
        if control is None:
            raise ValueError("control: this model needs control profiles (N, T, S_c, L_out)")
        expected = (self.control_strands, self.output_length)
        if (
            control.ndim != 4
            or control.shape[0] != x.shape[0]
            or control.shape[1] not in (1, self.n_tasks)
            or tuple(control.shape[2:]) != expected
        ):
            raise ValueError(
                f"control: expected ({x.shape[0]}, {self.n_tasks} or 1, {expected[0]}, "
                f"{expected[1]}), got {tuple(control.shape)}"
            )
        return control.expand(-1, self.n_tasks, -1, -1)

    def _mix(self, mix: nn.Conv1d, own: torch.Tensor, control: torch.Tensor | None) -> torch.Tensor:
        """Per-task 1x1 mixing of ``own`` ``(N, T, S, W)`` with ``control`` ``(N, T, S_c, W)``."""
        n, _, _, width = own.shape
        stacked = own if control is None else torch.cat([own, control], dim=2)
        mixed = mix(stacked.reshape(n, -1, width))
        return mixed.view(n, self.n_tasks, self.n_strands, width)

    def forward(
        self, x: torch.Tensor, control: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        control = self._check_control(x, control)
        n = x.shape[0]
        features = self.body(x)
        profile = self.profile_conv(features).view(n, self.n_tasks, self.n_strands, -1)
        logits = self._mix(self.profile_mix, profile, control)
        pooled = self.counts_dense(features.mean(dim=-1))
        counts = pooled.view(n, self.n_tasks, self.n_strands, 1)
        control_counts = None if control is None else control.sum(dim=-1, keepdim=True)
        if control_counts is not None and self.log_control_counts:
            control_counts = torch.log1p(control_counts)
        log_counts = self._mix(self.counts_mix, counts, control_counts).squeeze(-1)
        return logits, log_counts
