"""DeepSHAP against its roofline and against shap.DeepExplainer, side by side in one process.

For each model, the same N examples and K dinucleotide-shuffled references per example
(N x K example-reference pairs) are explained three ways, round-robin after a warm-up:

- ``roofline``: one plain forward and backward pass (the input gradient of the explained
  logit, no parameter gradients) over the N x K pairs, in batches of ``--batch-size``
  pairs: about the least work a DeepLIFT implementation does (one backward per pair);
- ``ours``: :func:`attrprior.deepshap.deepshap` with the same batch size, its default
  engine (``auto``: the shared-example engine of :mod:`attrprior.deeplift` where the model
  allows it, tangermeme otherwise);
- ``tangermeme``: the same with ``engine="tangermeme"`` (each pair as two rows of a batch);
- ``shap``: ``shap.DeepExplainer`` with each example's K references as its background
  (one explainer per example, as the reference code runs it), when shap is installed
  and the model has only operations shap knows (not the exponential activation).

Models (random weights: the cost does not depend on training): CNN-shallow and CNN-deep
(ReLU; 200 bp), the Tseng et al. binary model (1000 bp) and profile model (1346 bp, one
task with its control, the explained output of ``attrprior.explained.ProfileAttributionModel``;
no shap run). Prints the median seconds of each and the ratio ours / each; ``--output``
writes them as TSV. ``--device cuda`` runs every arm on the GPU (the inputs start on the
host, as in the workflow, and each timing ends with a device synchronisation).

    python benchmarks/deepshap_roofline.py --threads 1 --examples 40 --references 10
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import torch

from attrprior.deepshap import deepshap, dinucleotide_references
from attrprior.device import synchronise
from attrprior.explained import ProfileAttributionModel
from attrprior.models import build_model

MODELS = {
    "cnn_shallow_relu": dict(architecture="cnn_shallow", activation="relu", length=200),
    "cnn_deep_relu": dict(architecture="cnn_deep", activation="relu", length=200),
    "cnn_shallow_exp": dict(architecture="cnn_shallow", activation="exponential", length=200),
    "tseng_binary": dict(architecture="tseng_binary", length=1000),
    "tseng_profile": dict(architecture="tseng_profile", length=1346, control_strands=2),
}


def one_hot(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Random one-hot sequences, (n, 4, length) float32."""
    x = np.zeros((n, 4, length), np.float32)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    return x


def roofline(model: torch.nn.Module, pairs: torch.Tensor, batch_size: int, args=()) -> None:
    """One forward and backward pass of every example-reference pair."""
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size].clone().requires_grad_(True)
        rows = tuple(a[start : start + batch_size] for a in args)
        torch.autograd.grad(model(batch, *rows)[:, 0].sum(), batch)  # no parameter gradients


def ours(model, x, references, batch_size, engine="auto", args=None) -> None:
    deepshap(model, x, references, batch_size=batch_size, engine=engine, args=args)


def with_shap(model, x, references, device: torch.device) -> None:
    import shap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(x)):
            explainer = shap.DeepExplainer(model, torch.as_tensor(references[i], device=device))
            explainer.shap_values(
                torch.as_tensor(x[i : i + 1], device=device), check_additivity=False
            )


def time_model(name: str, args: argparse.Namespace) -> list[dict]:
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    settings = dict(MODELS[name])
    model = build_model(**settings).eval().to(device)
    x = one_hot(args.examples, settings["length"], rng)
    references = dinucleotide_references(x, n_shuffles=args.references, seed=args.seed)
    # The roofline's pairs start on the device: its time holds no host-to-device copy.
    pairs = torch.as_tensor(references.reshape(-1, *x.shape[1:]), device=device)
    extra, pair_extra = None, ()
    if settings["architecture"] == "tseng_profile":
        control_shape = (1, settings["control_strands"], model.output_length)
        extra = (rng.random((len(x), *control_shape)).astype(np.float32),)
        pair_extra = (torch.as_tensor(np.repeat(extra[0], args.references, axis=0), device=device),)
        model = ProfileAttributionModel(model).eval().to(device)
    runs = {
        "roofline": lambda: roofline(model, pairs, args.batch_size, pair_extra),
        "ours": lambda: ours(model, x, references, args.batch_size, args=extra),
        "tangermeme": lambda: ours(model, x, references, args.batch_size, "tangermeme", extra),
    }
    shap_runs = settings.get("activation") != "exponential" and extra is None
    if not args.no_shap and shap_runs:
        runs["shap"] = lambda: with_shap(model, x, references, device)
    seconds = {key: [] for key in runs}
    for repeat in range(args.warmup + args.repeats):
        for key, run in runs.items():
            synchronise(device)
            start = time.perf_counter()
            run()
            synchronise(device)
            if repeat >= args.warmup:
                seconds[key].append(time.perf_counter() - start)
    medians = {key: statistics.median(values) for key, values in seconds.items()}
    return [
        {
            "model": name,
            "method": key,
            "median_s": medians[key],
            "min_s": min(seconds[key]),
            "ours_over_this": medians["ours"] / medians[key],
        }
        for key in runs
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--references", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256, help="example-reference pairs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--no-shap", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="e.g. cuda")
    parser.add_argument("--output")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"{args.examples} examples x {args.references} references, batch {args.batch_size} "
        f"pairs, {args.threads} thread(s), median of {args.repeats}; "
        f"{args.device} ({card or platform.machine()}), torch {torch.__version__}",
        flush=True,
    )
    rows = []
    for name in args.models:  # each model's rows as soon as they are timed
        model_rows = time_model(name, args)
        rows.extend(model_rows)
        block = pd.DataFrame(model_rows).to_string(index=False, float_format=lambda v: f"{v:.3f}")
        print(block, flush=True)
    table = pd.DataFrame(rows)
    if args.output:
        table.to_csv(args.output, sep="\t", index=False)


if __name__ == "__main__":
    main()
