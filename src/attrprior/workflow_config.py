"""The workflow config's cross-key checks and derived defaults, on plain dicts.

What the JSON schema (``config/schema.yaml``) cannot express: checks across keys, each
error naming the key, and values that default to other keys' values. Standard library only
(pyjaspar imported where it is used): the workflow loads this file at parse time
(``rules/common.smk``), before any job, whatever the environment has installed; the
training code imports its constants, so each default is written once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

#: The Fourier prior's ``freq_limit`` for profile models when the condition sets none
#: (Tseng et al.'s profile-model code).
PROFILE_FOURIER_FREQ_LIMIT = 200


def fourier_freq_limits(dataset: Mapping, models: Mapping) -> set[int]:
    """The ``freq_limit`` of every Fourier-prior condition of a dataset, for each of its
    models: the condition's ``params.freq_limit``, or for a profile model
    :data:`PROFILE_FOURIER_FREQ_LIMIT` when it sets none.

    Parameters
    ----------
    dataset : mapping
        A ``datasets.<name>`` entry (``models``, ``conditions``).
    models : mapping
        The config's ``models`` (name -> ``architecture``, ...).
    """
    limits = set()
    for entry in dataset.get("conditions", {}).values():
        if (entry or {}).get("prior") != "fourier":
            continue
        for model in dataset.get("models", []):
            limit = entry.get("params", {}).get("freq_limit")
            if limit is None and models[model]["architecture"] == "tseng_profile":
                limit = PROFILE_FOURIER_FREQ_LIMIT
            if limit is not None:
                limits.add(int(limit))
    return limits


def default_highfreq_limit(dataset: Mapping, models: Mapping) -> int | None:
    """``evaluation.highfreq_limit`` when the config leaves it out: the frequency above
    which the high-frequency score sums is the one above which the dataset's Fourier prior
    penalises (Tseng et al. use one T for both). None when the dataset's Fourier
    conditions have no limit or several."""
    limits = fourier_freq_limits(dataset, models)
    return limits.pop() if len(limits) == 1 else None


#: The config sections of simulated datasets.
SIMULATORS = ("billboard", "single_motif")


def check_values(value, key="config"):
    """No NaN or infinite number anywhere in the config (YAML .nan passes the schema's
    bounds, since every comparison with NaN is false)."""
    if isinstance(value, dict):
        for name, item in value.items():
            check_values(item, f"{key}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_values(item, f"{key}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"config key {key.removeprefix('config.')}: {value} is not a number")


def input_lengths(config, dataset):
    """Lengths (bp) of the sequences the dataset's models read, by model name (None for
    encode_regions datasets, whose regions are not attributed)."""
    models = config["models"]
    lengths = {}
    for model in dataset["models"]:
        if "billboard" in dataset or "single_motif" in dataset:
            (simulation,) = (dataset[name] for name in SIMULATORS if name in dataset)
            lengths[model] = simulation["length"]
        elif "encode_binary" in dataset:
            source = dataset["encode_binary"]
            if models[model]["architecture"] == "tseng_profile":
                lengths[model] = source.get("profile", {}).get("input_length")
            else:
                labels = source["labels"]
                lengths[model] = labels["bin_size"] + 2 * labels["flank"]
    return {model: length for model, length in lengths.items() if length}


def check_frequency_limits(config, key, dataset):
    """Fourier limits below the highest frequency of the sequences they apply to: at or
    above it the prior penalises nothing and the high-frequency score is 0 everywhere.
    """
    for model, length in input_lengths(config, dataset).items():
        profile = config["models"][model]["architecture"] == "tseng_profile"
        for condition, entry in dataset["conditions"].items():
            if entry.get("prior") != "fourier":
                continue
            default = PROFILE_FOURIER_FREQ_LIMIT if profile else None
            limit = entry.get("params", {}).get("freq_limit", default)
            if limit is not None and limit >= length // 2:
                raise ValueError(
                    f"config key {key}.conditions.{condition}.params.freq_limit: {limit} "
                    f"leaves no frequency to penalise on the {length}-bp inputs of {model} "
                    f"(frequencies 1..{length // 2}); use a value below {length // 2}"
                )
        limit = dataset["evaluation"]["highfreq_limit"]
        if "attribution" in dataset and limit >= length // 2 - 1:
            raise ValueError(
                f"config key {key}.evaluation.highfreq_limit: {limit} leaves no frequency to "
                f"score on the {length}-bp maps of {model} (frequencies 1..{length // 2 - 1} "
                f"are scored); use a value below {length // 2 - 1}"
            )


def check_results_directory(config):
    """Outputs go under the working directory, never to / or above it."""
    results = Path(config["results"])
    is_root = results.is_absolute() and results == Path(results.anchor)
    if is_root or ".." in results.parts or not results.parts:
        raise ValueError(
            f"config key results: {config['results']!r} must name a directory (relative to the "
            "working directory, or an absolute path below /), not /, . or a path through .."
        )


def check_jaspar_ids(config):
    """Every JASPAR matrix ID a simulation plants is in its release's CORE vertebrates
    collection (the one attrprior.data.load_jaspar_motifs loads), checked offline with
    pyjaspar where Snakemake runs (skipped when pyjaspar is not installed there)."""
    import importlib.util

    if importlib.util.find_spec("pyjaspar") is None:
        return
    from pyjaspar import jaspardb

    known = {}
    for name, dataset in config["datasets"].items():
        for section, field in (("billboard", "core_motifs"), ("single_motif", "motif")):
            if section not in dataset:
                continue
            release = dataset[section]["jaspar_release"]
            if release not in known:
                db = jaspardb(release=release)
                records = (
                    db.fetch_motifs(collection="CORE", tax_group=["vertebrates"])
                    if hasattr(db, "conn")
                    else []
                )
                known[release] = {record.matrix_id for record in records}
            ids = dataset[section][field]
            unknown = sorted(set([ids] if isinstance(ids, str) else ids) - known[release])
            if unknown:
                raise ValueError(
                    f"config key datasets.{name}.{section}.{field}: {unknown} not in "
                    f"{release} CORE vertebrates (matrix IDs with their version, e.g. "
                    "MA0080.4)"
                )


def simulated_positives(dataset, splits):
    """At most how many positives a simulated dataset has in ``splits``: the splits' size
    (as attrprior.data.random_split rounds it: up at most), and for single_motif also
    n_positives. None for genomic datasets (known only once their labels are made)."""
    for kind in ("billboard", "single_motif"):
        if kind in dataset:
            simulation = dataset[kind]
            break
    else:
        return None
    if "published" in simulation:
        return None  # the published file's splits, known once it is read
    if kind == "billboard":
        total, positives = simulation["n_sequences"], simulation["n_sequences"]
    else:
        total = simulation["n_positives"] + simulation["n_negatives"]
        positives = simulation["n_positives"]
    # random_split: floor(fraction * total), plus one for some (the float error aside).
    in_splits = sum(math.ceil(simulation["split"][split] * total - 1e-6) for split in splits)
    return min(in_splits, positives)


def check_explained_sequences(key, dataset):
    """attribution.n_sequences (test positives) and motifs.n_sequences (test, valid, train
    positives) within what a simulation can have; fresh single_motif sequences are drawn
    in any number."""
    sections = [("attribution", ["test"]), ("motifs", ["test", "valid", "train"])]
    fresh = dataset.get("single_motif", {}).get("evaluation", {}).get("sequences") == "fresh"
    for section, splits in sections:
        wanted = dataset.get(section, {}).get("n_sequences")
        if wanted is None or (section == "attribution" and fresh):
            continue
        available = simulated_positives(dataset, splits)
        if available is not None and wanted > available:
            raise ValueError(
                f"config key {key}.{section}.n_sequences: {wanted} sequences, but the "
                f"simulation has at most {available} positives in {'/'.join(splits)}"
            )


def check_table2_options(config):
    """paper.<target>.top_models / n_sequences: Table 2's options only."""
    for target, selection in config.get("paper", {}).items():
        for option in ("top_models", "n_sequences"):
            if option in selection and target != "table2":
                raise ValueError(
                    f"config key paper.{target}.{option}: only for table2 (all vs subsampled "
                    "data, stability)"
                )


def check_subsampled(config, key, selection):
    """paper.table2.subsampled, {all-data condition: its subsampled condition}: both exist
    in every encode_binary dataset of table2 (the only datasets that can subsample), the
    second has keep_positives, and the reference condition has a pair."""
    pairs = selection["subsampled"]
    datasets = [d for d in selection["datasets"] if "encode_binary" in config["datasets"][d]]
    if not datasets:
        raise ValueError(
            f"config key {key}: none of the datasets {selection['datasets']} is an "
            "encode_binary dataset (only those train on a subset of their peaks)"
        )
    for dataset in datasets:
        conditions = config["datasets"][dataset]["conditions"]
        for full, subset in pairs.items():
            for name in (full, subset):
                if name not in conditions:
                    raise ValueError(
                        f"config key {key}: {name!r} is not one of "
                        f"datasets.{dataset}.conditions {sorted(conditions)}"
                    )
            if "keep_positives" not in conditions[subset]:
                raise ValueError(
                    f"config key {key}.{full}: datasets.{dataset}.conditions.{subset} has "
                    "no keep_positives, so it trains on all the data"
                )
        reference = config["datasets"][dataset]["evaluation"]["reference_condition"]
        if reference not in pairs:
            raise ValueError(
                f"config key {key}: no pair for datasets.{dataset}'s reference condition "
                f"{reference!r}, which the other pairs are tested against"
            )


def check_motifs(config):
    """datasets.<name>.motifs: an attributed dataset, a method it computes, and a gold
    standard its attribution inputs hold; each error names the key."""
    for name, settings in config["datasets"].items():
        if "motifs" not in settings:
            continue
        key = f"datasets.{name}.motifs"
        if "attribution" not in settings:
            raise ValueError(f"config key {key}: needs datasets.{name}.attribution")
        motifs = settings["motifs"]
        if motifs["method"] not in settings["attribution"]["methods"]:
            raise ValueError(
                f"config key {key}.method: {motifs['method']!r} is not one of "
                f"datasets.{name}.attribution.methods "
                f"{sorted(settings['attribution']['methods'])}"
            )
        if motifs["seed"] >= settings["seeds"]:
            raise ValueError(
                f"config key {key}.seed: {motifs['seed']} but the dataset trains seeds "
                f"0 … {settings['seeds'] - 1}"
            )
        source = settings.get("encode_binary")
        available = (
            {"motif"}
            if source is None
            else {"peaks"}
            | ({"footprints"} if "footprints" in source else set())
            | ({"motif"} if "motif_instances" in source.get("truth", {}) else set())
        )
        if motifs["gold"] not in available:
            raise ValueError(
                f"config key {key}.gold: {motifs['gold']!r} is not available for this "
                f"dataset (choose from {sorted(available)})"
            )
