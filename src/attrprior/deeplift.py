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
example), up to float rounding. The max-pool rule is computed per window rather than per
input position: with windows that tile, only a window's two winners (the example's and the
reference's) receive a gradient, so the rule needs their changes only. The rules assume
the rows of a pair follow the same path below each module, which holds when the model is
linear in each row outside its nonlinear modules; :func:`unsupported` checks that the
model is built from parts known to be. A module whose class sets
``deeplift_example_constant = True`` returns a constant (detached) tensor, such as the
log-softmax weights of the profile model's explained output: its references get the
example's value, as the example's row of a pair uses its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

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


class RepeatedModuleCall(ValueError):
    """A nonlinear module called more than once in one forward pass (the engine keeps one
    record of each module's activations; tangermeme keeps one per call)."""


def _rules() -> tuple[Callable, Callable]:
    from tangermeme.deep_lift_shap import _maxpool, _nonlinear

    return _nonlinear, _maxpool


def unsupported(model: nn.Module, nonlinear_ops: Mapping[type, Callable]) -> str | None:
    """Why :func:`pair_multipliers` cannot explain ``model``, or None if it can.

    Every module must be in evaluation mode, without in-place operation, BatchNorm with
    running statistics; and one of: a container (``nn.Sequential``, ``nn.ModuleList``) or a
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
        state = _state_problem(module)
        if state is not None:
            return f"{where}: {state}"
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


def _state_problem(module: nn.Module) -> str | None:
    """Why a module's state breaks the engine: the examples and the references run as
    separate batches, and a nonlinear module's input is read after its forward pass."""
    if module.training:
        return "in training mode (BatchNorm and Dropout must be in evaluation mode)"
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.running_mean is None:
        return "BatchNorm without running statistics normalises by each batch's own"
    if getattr(module, "inplace", False):
        return f"{type(module).__name__}(inplace=True) overwrites its input"
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


def _derivative(module: nn.Module, x_in: torch.Tensor, x_out: torch.Tensor) -> torch.Tensor:
    """The derivative of an elementwise module at ``x_in`` (the rescale rule's fallback):
    closed forms for ReLU and the exponential, autograd otherwise."""
    from attrprior.models import Exp

    if type(module) is nn.ReLU:
        return (x_in > 0).to(x_in.dtype)
    if type(module) is Exp:
        return x_out
    with torch.enable_grad():
        a = x_in.clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(module.forward(a), a, torch.ones_like(x_out))
    return slope


class _Rescale(torch.autograd.Function):
    """A nonlinear module's output whose derivative is the rescale rule's: ``grad * secant``."""

    @staticmethod
    def forward(ctx, r_in, r_out, secant):
        ctx.save_for_backward(secant)
        return r_out.view_as(r_out)  # a view: the values are the module's own, not copied

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (secant,) = ctx.saved_tensors
        return grad * secant, None, None


@dataclass
class _MaxPoolRule:
    """The max-pool rule of one pooling call, per reference row (n K, C, W) of windows.

    With tiling windows only the two winners of a window (the example's and the
    reference's) receive a gradient, so the rule's coefficients are kept per window, not
    per input position: ``example_coef`` is ``(max(x_out, r_out) - r_out) / (x_in - r_in)``
    at the example's winner (1, the ordinary gradient, where that position does not change)
    and ``reference_coef`` is ``(x_out - max(x_out, r_out)) / (x_in - r_in)`` at the
    reference's winner (0 where that position does not change).
    """

    example_coef: torch.Tensor
    reference_coef: torch.Tensor
    example_indices: torch.Tensor  # winners of the example's windows
    reference_indices: torch.Tensor  # winners of the reference's windows
    input_shape: torch.Size  # (n K, C, L)


class _MaxPool(torch.autograd.Function):
    """A max-pool's output whose derivative is the max-pool rule's (tangermeme's
    ``_maxpool`` with the example's upstream gradient on both rows of a pair)."""

    @staticmethod
    def forward(ctx, r_in, r_out, rule):
        ctx.rule = rule
        return r_out.view_as(r_out)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        rule = ctx.rule
        grad_in = grad.new_zeros(rule.input_shape)
        grad_in.scatter_add_(-1, rule.example_indices, grad * rule.example_coef)
        grad_in.scatter_add_(-1, rule.reference_indices, grad * rule.reference_coef)
        return grad_in, None, None


class _SharedExamplePass:
    """Record the examples' activations at the nonlinear modules, then replace the
    references' outputs by their DeepLIFT linearisation.

    Elementwise modules and constant outputs are handled by forward hooks. A max-pool's
    ``forward`` is replaced, while the pass is open, by one that also returns the winners'
    indices (the rule needs them, and a hook would have to pool a second time to get them).
    """

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
        self.handles = []
        for module, kind in self.kinds.items():
            if kind == "maxpool":
                # An instance attribute shadows the class's forward; __exit__ deletes it.
                module.forward = functools.partial(self._pool, module)
            else:
                self.handles.append(module.register_forward_hook(self._hook))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()
        for module, kind in self.kinds.items():
            if kind == "maxpool":
                del module.forward
        self.examples.clear()

    def _check_first_call(self, module: nn.Module) -> None:
        if module in self.examples:
            raise RepeatedModuleCall(
                f"{type(module).__name__} is called twice in one forward pass; DeepLIFT "
                "needs each nonlinear module called once"
            )

    def _hook(self, module, inputs, output):
        if self.phase == "examples":
            self._check_first_call(module)
            self.examples[module] = self._record(module, inputs[0].detach(), output.detach())
            return None
        return self._linearised(module, inputs[0], output)

    def _pool(self, module: nn.MaxPool1d, r_in: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # the reference pass's gradient comes from _MaxPool alone
            out, indices = F.max_pool1d(
                r_in, module.kernel_size, module.stride, return_indices=True
            )
        if self.phase == "examples":
            self._check_first_call(module)
            self.examples[module] = (r_in.detach(), out.detach(), indices)
            return out
        return self._linearised_pool(module, r_in, out, indices)

    def _record(self, module, x_in: torch.Tensor, x_out: torch.Tensor) -> tuple:
        if self.kinds[module] == "constant":
            return x_in, x_out, None
        return x_in, x_out, _derivative(module, x_in, x_out)

    def _pairs(self, example: torch.Tensor, reference: torch.Tensor) -> tuple:
        """``example`` (n, ...) as (n, 1, ...) and ``reference`` (n K, ...) as (n, K, ...),
        so that they broadcast pair by pair."""
        n = example.shape[0]
        return example.unsqueeze(1), reference.view(n, self.n_refs, *reference.shape[1:])

    def _linearised(self, module, r_in: torch.Tensor, r_out: torch.Tensor) -> torch.Tensor:
        x_in, x_out, derivative = self.examples[module]
        with torch.no_grad():
            xo_pair, ro_pair = self._pairs(x_out, r_out)
            if self.kinds[module] == "constant":
                return xo_pair.expand_as(ro_pair).reshape(r_out.shape)
            x_pair, r_pair = self._pairs(x_in, r_in)
            delta_in = x_pair - r_pair
            secant = (xo_pair - ro_pair).div_(delta_in)
            # abs_ after the division: delta_in is not needed as a signed change again.
            secant = torch.where(
                delta_in.abs_() < SECANT_THRESHOLD, derivative.unsqueeze(1), secant
            )
        return _Rescale.apply(r_in, r_out.detach(), secant.view(r_in.shape))

    def _linearised_pool(
        self, module, r_in: torch.Tensor, r_out: torch.Tensor, r_indices: torch.Tensor
    ) -> torch.Tensor:
        """The max-pool rule: the change of each window's max is routed to the example's and
        the reference's winning positions and divided by each position's own change; a
        position that does not change passes the example's ordinary gradient."""
        x_in, x_out, x_indices = self.examples[module]
        with torch.no_grad():
            xo_pair, ro_pair = self._pairs(x_out, r_out)  # (n, 1, C, W), (n, K, C, W)
            ri_pair = r_indices.view(ro_pair.shape)
            ei_pair = x_indices.unsqueeze(1).expand_as(ri_pair)
            r_pair = r_in.view(*ro_pair.shape[:3], r_in.shape[-1])
            # Each winner's own change: the example's max is x_in at its winner, the
            # reference's max is r_in at its winner.
            change_at_example = xo_pair - r_pair.gather(-1, ei_pair)
            change_at_reference = x_in.unsqueeze(1).expand_as(r_pair).gather(-1, ri_pair) - ro_pair
            top = torch.maximum(xo_pair, ro_pair)
            rule = _MaxPoolRule(
                example_coef=torch.where(
                    change_at_example == 0, 1.0, (top - ro_pair) / change_at_example
                ).view(r_out.shape),
                reference_coef=torch.where(
                    change_at_reference == 0, 0.0, (xo_pair - top) / change_at_reference
                ).view(r_out.shape),
                example_indices=ei_pair.reshape(r_indices.shape),
                reference_indices=r_indices,
                input_shape=r_in.shape,
            )
        return _MaxPool.apply(r_in, r_out, rule)

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
