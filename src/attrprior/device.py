"""Where a job computes: the device a config names, the torch settings of a workflow job,
a wait for a device's queued work, and a one-step GPU check for cluster set-ups."""

from __future__ import annotations

import os
import time
import warnings

import torch

from attrprior.conditions import Condition
from attrprior.models import TsengBinaryCNN
from attrprior.objectives import condition_losses


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; otherwise ``torch.device(name)``.

    Raises
    ------
    RuntimeError
        For a CUDA device this process cannot use, naming the config key ``device`` and why
        (a PyTorch built without CUDA, no GPU visible, or an index beyond the visible GPUs),
        instead of PyTorch's assertion at the first tensor moved there.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        problem = cuda_problem(device)
        if problem:
            raise RuntimeError(
                f"config key device: {name!r}, but {problem}; use device: auto (CUDA where "
                "present, else CPU) or cpu, or run this job where a GPU is"
            )
    return device


def cuda_problem(device: torch.device) -> str | None:
    """Why ``device`` (a CUDA device) cannot be used by this process, or None if it can."""
    if torch.version.cuda is None:
        return f"this PyTorch ({torch.__version__}) was built without CUDA"
    if not torch.cuda.is_available():
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        where = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
        return f"no CUDA GPU is visible to this process{where}"
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        return f"only {count} CUDA GPU(s) are visible (indices 0..{count - 1})"
    return None


def configure_torch(threads: int) -> None:
    """Deterministic kernels and a bounded thread count for one workflow job.

    CPU kernels are deterministic already. On CUDA, deterministic algorithms are requested
    with ``warn_only=True`` because DeepLIFT's max-unpooling has no deterministic CUDA kernel
    (its warning is silenced), and cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` before it starts.
    """
    torch.set_num_threads(threads)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        warnings.filterwarnings("ignore", message="max_unpool")


def synchronise(device: torch.device | str) -> None:
    """Wait until ``device`` has run its queued work, so that a timing covers it (CUDA
    runs kernels asynchronously; on a CPU there is nothing to wait for)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gpu_smoke_test(device: str = "cuda", batch_size: int = 16, length: int = 1000) -> str:
    """List the GPUs this process sees and run one Fourier-prior training step on one.

    For checking a cluster setup (rule ``gpu_smoke_test``): a Tseng binary model, a random
    one-hot batch ``(batch_size, 4, length)`` half labelled positive, one Adam step with the
    Fourier prior (double backpropagation), on ``device``.

    Returns
    -------
    str
        A report: torch and CUDA versions, ``CUDA_VISIBLE_DEVICES``, each visible GPU (name,
        memory), the losses and the step time.

    Raises
    ------
    RuntimeError
        If ``device`` is a CUDA device and no GPU is visible, or the step gives a non-finite
        loss.
    """
    lines = [
        f"torch {torch.__version__}, CUDA build {torch.version.cuda}",
        f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}",
    ]
    target = torch.device(device)
    if target.type == "cuda":
        if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
            raise RuntimeError(
                "no CUDA device visible to this job: " + "; ".join(lines) + " (check the "
                "job's GPU request, e.g. resources gpu=1 / slurm_extra, and the driver)"
            )
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            lines.append(f"GPU {index}: {props.name}, {props.total_memory / 2**30:.1f} GiB")
    generator = torch.Generator().manual_seed(0)
    bases = torch.randint(0, 4, (batch_size, length), generator=generator)
    x = torch.nn.functional.one_hot(bases, 4).permute(0, 2, 1).float().to(target)
    y = (torch.arange(batch_size) < batch_size // 2).float()[:, None].to(target)
    torch.manual_seed(0)
    model = TsengBinaryCNN(length=length, n_tasks=1).to(target).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    condition = Condition(prior="fourier", prior_weight=1.0, prior_params={"freq_limit": 150})
    start = time.perf_counter()
    correctness, prior, _ = condition_losses(model, x, y, condition, "balanced_bce")
    loss = correctness + prior
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    synchronise(target)
    seconds = time.perf_counter() - start
    if not torch.isfinite(loss):
        raise RuntimeError(f"smoke-test step on {target} gave a non-finite loss {loss.item()}")
    lines.append(
        f"one Fourier-prior step on {target}: correctness {correctness.item():.4f}, "
        f"prior {prior.item():.4f}, {seconds:.3f} s (first step, includes start-up)"
    )
    return "\n".join(lines) + "\n"
