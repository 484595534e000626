"""The data a training job trains on, built from the files its rule gives it.

One builder per kind of dataset: a simulated dataset (:func:`from_dataset`), peak-centred
regions of one task (:func:`from_regions`), profile examples (:func:`from_profile_examples`)
and genomic windows (:func:`from_genomic_windows`), chosen by the rule's inputs in
:func:`from_inputs`. Each returns a :class:`TrainingData`:
the train/valid/test splits, the number of training positives per epoch, the objective
(None for the binary one) and the sizes the model takes from the data. :func:`resume_key`
says when a stored training state may be resumed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.labels import load_binary_labels
from attrprior.genomics.peaks import read_narrowpeak
from attrprior.genomics.sampling import genomic_splits, profile_splits, retained_positives
from attrprior.genomics.stored_profiles import ProfileExamples
from attrprior.io import load_npz
from attrprior.objectives import ProfileObjective
from attrprior.pwms import load_jaspar_motifs
from attrprior.sim.datasets import load_dataset, split_arrays
from attrprior.sim.single_motif import SingleMotifBatches

log = logging.getLogger(__name__)


@dataclass
class TrainingData:
    """What :func:`attrprior.train.train_model` trains on, and what the model takes from it.

    Attributes
    ----------
    splits : dict
        ``"train"``, ``"valid"``, ``"test"``: ``(x (N, 4, L), y (N, T))`` arrays, or the
        batch sources and example sets of :mod:`attrprior.genomics.sampling` and
        :mod:`attrprior.sim.single_motif`.
    n_train_positives : int
        Training positives (binary) or peak examples (profile) of one epoch.
    objective : attrprior.objectives.ProfileObjective or None
        None for binary classifiers (``train_model``'s default objective).
    model_sizes : dict
        Keyword arguments of :func:`attrprior.models.build_model` set by the data
        (``length``, ``n_tasks``; profile models also their output length and strands).
    """

    splits: dict
    n_train_positives: int
    objective: ProfileObjective | None = None
    model_sizes: dict = field(default_factory=dict)


def labelled_positives(y: np.ndarray) -> int:
    """Sequences with a label 1 for some task (labels ``(N, T)``)."""
    return int((y == 1).any(axis=1).sum())


def _binary(splits: dict, n_train_positives: int) -> TrainingData:
    x_valid, y_valid = splits["valid"]
    sizes = {"length": x_valid.shape[2], "n_tasks": y_valid.shape[1]}
    return TrainingData(splits, n_train_positives, None, sizes)


def from_dataset(
    path: str | os.PathLike, single_motif: Mapping | None = None, batch_size: int = 100
) -> TrainingData:
    """A simulated dataset (``dataset.npz``) and its stored splits.

    With ``single_motif.fresh_training_batches`` the training set is replaced by batches
    drawn fresh every time (Tseng et al.'s synthetic SPI1 training): half positives at the
    training GC bias, half negatives, as many batches per epoch as the stored positives
    would fill at ``batch_size``.
    """
    dataset = load_dataset(path)
    splits = split_arrays(dataset.x, dataset.y, dataset.split)
    n_train_positives = labelled_positives(splits["train"][1])
    if single_motif and single_motif.get("fresh_training_batches"):
        motif = load_jaspar_motifs(single_motif["jaspar_release"])[single_motif["motif"]]
        splits["train"] = SingleMotifBatches(
            motif=motif,
            length=single_motif["length"],
            positive_gc=single_motif["gc_prob"] + single_motif["positive_gc_excess"],
            negative_gc=single_motif["gc_prob"],
            central_flank=single_motif["central_flank"],
            n_batches=max(1, -(-n_train_positives // max(1, batch_size // 2))),
        )
        log.info(
            "training on fresh sequences: %d batches of %d per epoch",
            splits["train"].n_batches,
            batch_size,
        )
    return _binary(splits, n_train_positives)


def from_regions(path: str | os.PathLike) -> TrainingData:
    """Peak-centred regions of one task (``regions.npz``; Majdandzic et al.), random split."""
    regions = load_npz(path, "regions")
    splits = split_arrays(regions["x"], regions["y"], regions["split"])
    return _binary(splits, labelled_positives(splits["train"][1]))


def from_profile_examples(
    directory: str | os.PathLike, keep_positives: float | None = None
) -> TrainingData:
    """Profile examples (Tseng et al.): jittered training peaks plus random genomic windows
    of the training chromosomes; validation and test peaks centred, without random windows.
    ``keep_positives`` keeps the strongest share of each task's training peaks."""
    examples = ProfileExamples(directory)
    splits = profile_splits(examples, keep_positives=keep_positives)
    if keep_positives is not None:
        log.info(
            "keep_positives %g: %d of %d training peaks kept (signal rank <= int(n_peaks x "
            "%g) per task)",
            keep_positives,
            len(splits["train"]),
            len(examples.split_indices("train")),
            keep_positives,
        )
    if not examples.n_random:
        log.warning("no random windows in %s: training on peaks only", examples.directory)
    log.info(
        "%s: %d training, %d validation and %d test peaks, %d random windows (%.0f%% of "
        "each training batch), jitter up to %d bp",
        examples,
        len(splits["train"]),
        len(splits["valid"]),
        len(splits["test"]),
        examples.n_random,
        100 * splits["train"].random_fraction,
        splits["train"].jitter,
    )
    sizes = {
        "length": examples.input_length,
        "output_length": examples.output_length,
        "n_tasks": examples.n_tasks,
        "n_strands": examples.n_strands,
        "control_strands": None if examples.control is None else examples.control.shape[2],
    }
    return TrainingData(splits, len(splits["train"]), ProfileObjective(), sizes)


def from_genomic_windows(
    genome: str | os.PathLike,
    labels: str | os.PathLike,
    genomic: Mapping,
    peaks: Sequence[str | os.PathLike] = (),
    keep_positives: float | None = None,
) -> TrainingData:
    """Genomic windows: held-out chromosomes; training negatives redrawn every epoch.

    ``genomic`` is the dataset's ``encode_binary`` section (``splits``, ``seed``,
    ``labels.min_overlap``, ``eval_negatives_per_positive``); ``peaks`` are the tasks'
    optimal peak files in task order, needed with ``keep_positives``.
    """
    binary_labels = load_binary_labels(labels)
    train_keep = None
    if keep_positives is not None:
        train_keep = retained_positives(
            binary_labels,
            [read_narrowpeak(path) for path in peaks],
            keep_positives,
            genomic["labels"]["min_overlap"],
        )
    train, valid, test = genomic_splits(
        GenomeArray(genome),
        binary_labels,
        genomic["splits"],
        seed=genomic["seed"],
        negatives_per_positive=genomic.get("eval_negatives_per_positive", 1.0),
        train_keep=train_keep,
    )
    if keep_positives is not None:
        log.info(
            "keep_positives %g: %d of %d training positives kept (central bin covered by the "
            "peaks of signal rank <= int(n_peaks x %g) of a positive task)",
            keep_positives,
            len(train.positives),
            train.n_all_positives,
            keep_positives,
        )
    log.info(
        "%d training positives, %d validation and %d test windows",
        len(train.positives),
        len(valid[0]),
        len(test[0]),
    )
    return _binary({"train": train, "valid": valid, "test": test}, len(train.positives))


def from_inputs(
    inputs: Mapping[str, object],
    *,
    single_motif: Mapping | None = None,
    batch_size: int = 100,
    genomic: Mapping | None = None,
    keep_positives: float | None = None,
) -> TrainingData:
    """The training data of a training rule's inputs, whichever kind of dataset they are.

    Parameters
    ----------
    inputs : mapping
        Named input files as :meth:`attrprior.workflow.paths.Paths.training_data` gives
        them: ``dataset`` (simulated), ``regions`` (peak-centred regions, published HDF5
        tasks), ``profile_examples`` (profile models) or ``genome`` and ``labels`` (genomic
        windows; with ``peaks`` when ``keep_positives`` is set). Other keys are ignored.
    single_motif : mapping, optional
        The dataset's ``single_motif`` section, for a simulated dataset (:func:`from_dataset`).
    batch_size : int
        Training batch size, for a simulated dataset of fresh batches (:func:`from_dataset`).
    genomic : mapping, optional
        The dataset's ``encode_binary`` section, for genomic windows.
    keep_positives : float, optional
        The condition's share of training peaks kept (profile examples, genomic windows).

    Raises
    ------
    ValueError
        If ``inputs`` name none of these kinds.
    """
    if "dataset" in inputs:
        return from_dataset(inputs["dataset"], single_motif, batch_size)
    if "regions" in inputs:
        return from_regions(inputs["regions"])
    if "profile_examples" in inputs:
        return from_profile_examples(inputs["profile_examples"], keep_positives)
    if "genome" in inputs and "labels" in inputs:
        if genomic is None:
            raise ValueError("genomic windows need the dataset's encode_binary section")
        return from_genomic_windows(
            inputs["genome"], inputs["labels"], genomic, inputs.get("peaks", ()), keep_positives
        )
    raise ValueError(
        "training inputs: expected dataset, regions, profile_examples or genome and labels, "
        f"got {sorted(inputs)}"
    )


def resume_key(
    params: Mapping,
    condition: Mapping,
    seed: int,
    inputs: Iterable[str | os.PathLike],
    packed_seeds: Sequence[int] | None = None,
) -> str:
    """The key under which a training state is stored: a stored state is resumed only if the
    rule's settings (``params``: model, condition, training), the resolved condition, the seed
    (and the pack it trains in) and the inputs' modification times are the same, so new
    data or settings start afresh. A seed trained alone keeps the key it had before packs
    existed (no ``packed`` entry)."""
    return json.dumps(
        {
            "params": dict(params),
            "condition": dict(condition),
            "seed": seed,
            **({"packed": list(packed_seeds)} if packed_seeds is not None else {}),
            "inputs": sorted((str(path), os.stat(path).st_mtime_ns) for path in inputs),
        },
        sort_keys=True,
        default=str,
    )
