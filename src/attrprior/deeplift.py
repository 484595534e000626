"""DeepLIFT multipliers with one forward pass per example, shared by its references.

DeepLIFT (rescale rule; the max-pool rule) explains ``f(x) - f(r)`` for an example ``x``
and a reference ``r``. tangermeme's ``deep_lift_shap`` runs every example-reference pair as
two rows of one batch, ``[x; r]``: for K references an example is run forward and backward K
times. Here the N examples of a chunk are run forward once, without a graph, and their
activations kept; then the N × K references are run forward with a graph in which every
nonlinear module's output is replaced by a linear function of its input with the same
value and the DeepLIFT multiplier as its derivative (secant slopes computed against the
example's activations). One ordinary backward pass over the references then gives the
multipliers of every pair: ``(K + 1) / K`` forward rows and one backward row per pair,
against 2 and 2 for a batch of pairs.

The rules are tangermeme's (``_nonlinear``, ``_maxpool``), so the multipliers equal
tangermeme's, fallbacks included (a secant over a change below 1e-6 is the derivative at
the example; a pooled position that does not change takes the ordinary gradient at the
example), up to float rounding. They assume the rows of a pair follow the same path below
each module, which holds when the model is linear in each row outside its nonlinear
modules; :func:`unsupported` checks that the model is built from parts known to be. A
module whose class sets ``deeplift_example_constant = True`` returns a constant (detached)
tensor, such as the log-softmax weights of the profile model's explained output: its
references get the example's value, as the example's row of a pair uses its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: Leaf modules that are linear in each row (BatchNorm and Dropout in evaluation mode).
LINEAR_MODULES = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Linear,
    nn.modules.batchnorm._BatchNorm,
    nn.Dropout,
    nn.Flatten,
    nn.Identity,
)
#: Secants over a change in the input below this are replaced by the derivative (tangermeme).
SECANT_THRESHOLD = 1e-6


def _rules() -> tuple[Callable, Callable]:
    from tangermeme.deep_lift_shap import _maxpool, _nonlinear

    return _nonlinear, _maxpool


def unsupported(model: nn.Module, nonlinear_ops: Mapping[type, Callable]) -> str | None:
    """Why :func:`pair_multipliers` cannot explain ``model``, or None if it can.

    Every module must be one of: a container (``nn.Sequential``, ``nn.ModuleList``) or a
    module whose class sets ``deeplift_rowwise_linear = True`` (its own forward code is
    linear in each row: :class:`attrprior.models.KooCNN`, ...); a module whose class sets
    ``deeplift_example_constant = True`` (its output is detached); a leaf in
    :data:`LINEAR_MODULES`; a leaf whose rule in ``nonlinear_ops`` is tangermeme's rescale
    rule (elementwise); a ``MaxPool1d`` with the max-pool rule whose windows tile (kernel
    == stride, no padding or dilation).
    """
    rescale, maxpool = _rules()
    for name, module in model.named_modules():
        where = name or type(model).__name__
        rule = nonlinear_ops.get(type(module))
        if rule is rescale:
            continue
        if rule is maxpool:
            if not isinstance(module, nn.MaxPool1d) or not _tiling(module):
                return f"{where}: only MaxPool1d with kernel == stride and no padding"
            continue
        if rule is not None:
            return f"{where}: {type(module).__name__} has a rule other than rescale or max-pool"
        if isinstance(module, (*LINEAR_MODULES, nn.Sequential, nn.ModuleList)):
            continue
        if getattr(type(module), "deeplift_rowwise_linear", False):
            continue
        if getattr(type(module), "deeplift_example_constant", False):
            continue
        return f"{where}: {type(module).__name__} is not known to be linear in each row"
    return None


def _tiling(pool: nn.MaxPool1d) -> bool:
    def one(value):
        return value[0] if isinstance(value, tuple) else value

    stride = pool.kernel_size if pool.stride is None else one(pool.stride)
    return (
        one(pool.kernel_size) == stride
        and one(pool.padding) == 0
        and one(pool.dilation) == 1
        and not pool.ceil_mode
    )


class _SharedExamplePass:
    """Forward hooks on the nonlinear modules: record the examples' activations, then
    replace the references' outputs by their DeepLIFT linearisation."""

    def __init__(self, model: nn.Module, nonlinear_ops: Mapping[type, Callable]) -> None:
        rescale, maxpool = _rules()
        self.kinds = {}
        for module in model.modules():
            rule = nonlinear_ops.get(type(module))
            if rule is rescale:
                self.kinds[module] = "rescale"
            elif rule is maxpool:
                self.kinds[module] = "maxpool"
            elif getattr(type(module), "deeplift_example_constant", False):
                self.kinds[module] = "constant"
        self.examples: dict[nn.Module, tuple] = {}
        self.n_refs = 0
        self.phase = "examples"

    def __enter__(self) -> _SharedExamplePass:
        self.handles = [m.register_forward_hook(self._hook) for m in self.kinds]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()
        self.examples.clear()

    def _hook(self, module, inputs, output):
        if self.phase == "examples":
            if module in self.examples:
                raise ValueError(
                    f"{type(module).__name__} is called twice in one forward pass; DeepLIFT "
                    "needs each nonlinear module called once"
                )
            self.examples[module] = self._record(module, inputs[0].detach(), output.detach())
            return None
        return self._linearised(module, inputs[0], output)

    def _record(self, module, x_in: torch.Tensor, x_out: torch.Tensor) -> tuple:
        if self.kinds[module] == "constant":
            return x_in, x_out, None
        if self.kinds[module] == "rescale":
            with torch.enable_grad():  # the derivative at the example, for the fallback
                a = x_in.clone().requires_grad_(True)
                (slope,) = torch.autograd.grad(module.forward(a), a, torch.ones_like(x_out))
            return x_in, x_out, slope
        _, indices = F.max_pool1d(x_in, module.kernel_size, module.stride, return_indices=True)
        return x_in, x_out, indices

    def _per_pair(self, example: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """``example`` (n, ...) against ``reference`` (n K, ...): the example's rows repeated
        to line up with its references, (n K, ...)."""
        n = example.shape[0]
        return (
            example.unsqueeze(1).expand(n, self.n_refs, *example.shape[1:]).reshape(reference.shape)
        )

    def _linearised(self, module, r_in: torch.Tensor, r_out: torch.Tensor) -> torch.Tensor:
        x_in, x_out, extra = self.examples[module]
        if self.kinds[module] == "constant":
            return self._per_pair(x_out, r_out)
        step = r_in - r_in.detach()  # zero, with the gradient of r_in
        with torch.no_grad():
            delta_in = self._per_pair(x_in, r_in) - r_in
        if self.kinds[module] == "rescale":
            with torch.no_grad():
                delta_out = self._per_pair(x_out, r_out) - r_out
                secant = torch.where(
                    delta_in.abs() < SECANT_THRESHOLD,
                    self._per_pair(extra, r_in),
                    delta_out / delta_in,
                )
            return r_out.detach() + step * secant
        # Max-pool rule: the change of each window's max is routed to the example's and the
        # reference's winning positions and divided by each position's own change; a
        # position that does not change passes the example's ordinary gradient.
        with torch.no_grad():
            _, r_indices = F.max_pool1d(
                r_in.detach(), module.kernel_size, module.stride, return_indices=True
            )
            x_pair = self._per_pair(x_out, r_out)
            top = torch.maximum(x_pair, r_out)
            x_indices = self._per_pair(extra, r_out)
            unchanged = delta_in == 0
            denominator = delta_in.masked_fill(unchanged, 1.0)
        flat = step.flatten(2)
        scaled = (flat / denominator.flatten(2)).masked_fill(unchanged.flatten(2), 0.0)
        kept = flat.masked_fill(~unchanged.flatten(2), 0.0)
        x_idx, r_idx = x_indices.flatten(2), r_indices.flatten(2)
        linear = (
            (top - r_out.detach()).flatten(2) * scaled.gather(2, x_idx)
            + (x_pair - top).flatten(2) * scaled.gather(2, r_idx)
            + kept.gather(2, x_idx)
        )
        return r_out.detach() + linear.reshape(r_out.shape)

    def start_references(self, n_refs: int) -> None:
        """From now on, linearise the forward passes of the ``n_refs`` references of each
        recorded example."""
        self.phase, self.n_refs = "references", n_refs


def pair_multipliers(
    model: nn.Module,
    x: torch.Tensor,
    references: torch.Tensor,
    target: int = 0,
    args: Sequence[torch.Tensor] = (),
    nonlinear_ops: Mapping[type, Callable] | None = None,
) -> torch.Tensor:
    """DeepLIFT multipliers of every example-reference pair.

    Parameters
    ----------
    model : nn.Module
        In evaluation mode, on the device of ``x``; maps ``(B, 4, L)`` (and ``args``) to
        ``(B, T)``. Must pass :func:`unsupported`.
    x : torch.Tensor, shape=(n, 4, L)
        The examples.
    references : torch.Tensor, shape=(n, K, 4, L)
        Each example's references.
    target : int
        Output column explained.
    args : sequence of torch.Tensor, each shape=(n, ...)
        Further model inputs of each example, given to its references too.
    nonlinear_ops : mapping, optional
        ``{module class: tangermeme rule}``, tangermeme's table (default: its built-in one).

    Returns
    -------
    torch.Tensor, shape=(n, K, 4, L)
        ``m`` with ``sum((x - r_k) * m_k) = f(x) - f(r_k)`` up to the convergence delta.
    """
    if nonlinear_ops is None:
        from tangermeme._deep_lift_utils import _build_nonlinear_ops

        nonlinear_ops = _build_nonlinear_ops()
    reason = unsupported(model, nonlinear_ops)
    if reason is not None:
        raise ValueError(f"pair_multipliers cannot explain this model: {reason}")
    n, n_refs = references.shape[:2]
    flat = references.reshape(n * n_refs, *references.shape[2:]).detach().requires_grad_(True)
    repeated = tuple(a.repeat_interleave(n_refs, dim=0) for a in args)
    with _SharedExamplePass(model, nonlinear_ops) as shared:
        with torch.no_grad():
            model(x, *args)
        shared.start_references(n_refs)
        with torch.enable_grad():
            y = model(flat, *repeated)
            (multipliers,) = torch.autograd.grad(y[:, target].sum(), flat)
    return multipliers.reshape(references.shape)
