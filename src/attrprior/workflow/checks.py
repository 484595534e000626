"""The workflow config's cross-key checks and derived defaults, on plain dicts.

What the JSON schema (``config/schema.yaml``) cannot express: checks across keys, each
error naming the key, and values that default to other keys' values. Standard library only
(pyjaspar imported where it is used): the workflow imports it at parse time
(``rules/common.smk``), before any job, in whatever environment runs Snakemake; the
training code imports its constants, so each default is written once.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path

from attrprior.workflow.sources import (
    check_external_ref,
    check_genomic_dataset,
    check_region_dataset,
    model_tasks,
)

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


def default_highfreq_limit(key: str, dataset: Mapping, models: Mapping) -> int:
    """``evaluation.highfreq_limit`` when the config leaves it out: the frequency above
    which the high-frequency score sums is the one above which the dataset's Fourier prior
    penalises (Tseng et al. use one T for both).

    Raises
    ------
    ValueError
        Naming ``<key>.evaluation.highfreq_limit`` when the dataset's Fourier conditions have
        no limit or several.
    """
    limits = sorted(fourier_freq_limits(dataset, models))
    if len(limits) != 1:
        raise ValueError(
            f"config key {key}.evaluation.highfreq_limit: not set, and the dataset's "
            f"Fourier-prior conditions give no single freq_limit to take it from "
            f"(found {limits or 'none'}); set it"
        )
    return limits[0]


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
    collection (the one attrprior.pwms.load_jaspar_motifs loads), checked offline with
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
    (as attrprior.sim.datasets.random_split rounds it: up at most), and for single_motif also
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


#: Keys of a ``conditions:`` entry that may be a grid to tune ({grid: [...], tuning_seeds: k})
#: instead of a number (Tseng et al., Section 8.2).
TUNABLE_CONDITION_KEYS = ("weight", "l2_weight")


def tuned_key(entry: Mapping[str, object]) -> str | None:
    """The key of a ``conditions:`` entry given as a grid to tune, or None.

    Raises
    ------
    ValueError
        When more than one key is a grid (one weight is tuned at a time).
    """
    keys = [key for key in TUNABLE_CONDITION_KEYS if isinstance(entry.get(key), Mapping)]
    if len(keys) > 1:
        raise ValueError(f"condition: only one weight can be tuned at a time, got {keys}")
    return keys[0] if keys else None


def is_github_source(source):
    """Whether models.<name>.published_weights names a GitHub file (else a local path)."""
    return isinstance(source, dict) and "github" in source


def ensemble_condition(dataset):
    """The condition an ensemble's members train under."""
    return dataset["ensemble"].get("condition", dataset["evaluation"]["reference_condition"])


# Tuning runs use seeds 10000, 10001, ...: never a seed of the condition's own runs, so the
# runs compared downstream are not those the weight was selected on.
TUNING_SEED_OFFSET = 10000


def check_device(config: dict) -> None:
    """A CUDA device that this process's PyTorch cannot use: a warning, not an error, since
    cluster jobs run elsewhere (GPU nodes, own environments); the job itself then stops
    naming the key (attrprior.device.resolve_device)."""
    if not str(config["device"]).startswith("cuda"):
        return
    import torch

    if torch.version.cuda is None or not torch.cuda.is_available():
        print(
            f"Warning: config key device: {config['device']!r}, but this process sees no "
            f"CUDA (PyTorch {torch.__version__}, CUDA {torch.version.cuda}); jobs run "
            "here will fail. Use device: auto to fall back to the CPU.",
            file=sys.stderr,
        )


def check_config(config: dict, in_main_process: bool = True) -> None:
    """Cross-key checks the JSON schema cannot express; each error names the key.

    ``in_main_process``: also the checks that open the JASPAR database (about 0.6 s) and
    look at this process's PyTorch; once, in the main process, not again in each job's
    own parse of the workflow (cluster and subprocess jobs).
    """
    check_values(config)
    check_results_directory(config)
    if in_main_process:
        check_jaspar_ids(config)
        check_device(config)
    models = config["models"]
    for name, model in models.items():
        needs_activation = model["architecture"] in ("cnn_shallow", "cnn_deep")
        if needs_activation != ("activation" in model):
            raise ValueError(
                f"config key models.{name}.activation: required for cnn_shallow and "
                f"cnn_deep, not allowed for {model['architecture']}"
            )
        if "first_kernel_size" in model and not needs_activation:
            raise ValueError(
                f"config key models.{name}.first_kernel_size: only for cnn_shallow and "
                f"cnn_deep, not allowed for {model['architecture']}"
            )
        for key in ("log_control_counts", "counts_mix_init"):
            if key in model and model["architecture"] != "tseng_profile":
                raise ValueError(
                    f"config key models.{name}.{key}: only for tseng_profile, not "
                    f"allowed for {model['architecture']}"
                )
    for name, dataset in config["datasets"].items():
        key = f"datasets.{name}"
        for model in dataset["models"]:
            if model not in models:
                raise ValueError(
                    f"config key {key}.models: {model!r} is not one of models {sorted(models)}"
                )
        # Profile models (tseng_profile) train on the summit-centred read profiles of an
        # encode_binary dataset's tasks with alignments (rule profile_examples).
        profile_models = [
            model for model in dataset["models"] if models[model]["architecture"] == "tseng_profile"
        ]
        if profile_models and "encode_binary" not in dataset:
            raise ValueError(
                f"config key {key}.models: {profile_models} are profile models "
                "(tseng_profile), which train on the read profiles of an encode_binary "
                f"dataset with a profile section; {name!r} is not an encode_binary dataset"
            )
        # One attribution-inputs file per dataset: its models all take the same inputs.
        if profile_models and "attribution" in dataset:
            if len(profile_models) != len(dataset["models"]):
                raise ValueError(
                    f"config key {key}.models: an attributed dataset explains all its "
                    "models on the same inputs, so they are all profile models or none; "
                    f"profile models {profile_models} are mixed with binary ones"
                )
            methods = sorted(set(dataset["attribution"]["methods"]) - {"deepshap"})
            if methods:
                raise ValueError(
                    f"config key {key}.attribution.methods: profile models are explained "
                    f"with deepshap (Tseng et al.); {methods} are not set up for them"
                )
        if profile_models and dataset["training"].get("monitor") == "auroc":
            raise ValueError(
                f"config key {key}.training.monitor: 'auroc' is a binary models' metric; "
                f"{profile_models} are profile models (use 'correctness')"
            )
        jitter = dataset.get("attribution", {}).get("jitter")
        if jitter is not None:
            profile = dataset["encode_binary"].get("profile", {}) if profile_models else {}
            if not profile_models or len(profile_models) != len(dataset["models"]):
                raise ValueError(
                    f"config key {key}.attribution.jitter: only for datasets of profile "
                    "models (Tseng et al. jitter the explained peaks of profile models; "
                    "binary windows are not centred on summits)"
                )
            if jitter > profile.get("max_jitter", 0):
                raise ValueError(
                    f"config key {key}.attribution.jitter: {jitter} exceeds "
                    f"{key}.encode_binary.profile.max_jitter ({profile.get('max_jitter', 0)}), "
                    "the flank the examples are stored with"
                )
        explain = dataset.get("attribution", {}).get("explain", "sum")
        tasks = model_tasks(dataset, models)
        if explain != "sum" and explain not in tasks:
            raise ValueError(
                f"config key {key}.attribution.explain: {explain!r} is neither 'sum' nor a "
                f"task of the dataset's models (tasks: {tasks})"
            )
        evaluation = dataset["evaluation"]
        if "highfreq_limit" not in evaluation:
            limit = default_highfreq_limit(key, dataset, models)
            evaluation["highfreq_limit"] = limit
        check_frequency_limits(config, key, dataset)
        attribution = dataset.get("attribution")
        figures = dataset.get("figures")
        if attribution and figures and figures["logo_sequence"] >= attribution["n_sequences"]:
            raise ValueError(
                f"config key {key}.figures.logo_sequence: {figures['logo_sequence']} is out "
                f"of range; {key}.attribution.n_sequences explains "
                f"{attribution['n_sequences']} sequences (0..{attribution['n_sequences'] - 1})"
            )
        check_explained_sequences(key, dataset)
        reference = dataset["evaluation"]["reference_condition"]
        if reference not in dataset["conditions"]:
            raise ValueError(
                f"config key {key}.evaluation.reference_condition: {reference!r} is not one "
                f"of the conditions {sorted(dataset['conditions'])}"
            )
        if dataset["conditions"][reference].get("weight") == "auto":
            raise ValueError(
                f"config key {key}.conditions.{reference}.weight: the reference condition "
                "cannot have weight 'auto' (auto weights are scaled to it)"
            )
        for condition, entry in dataset["conditions"].items():
            tuned = [k for k in ("weight", "l2_weight") if isinstance(entry.get(k), dict)]
            if len(tuned) > 1:
                raise ValueError(
                    f"config key {key}.conditions.{condition}: only one weight can be "
                    f"tuned at a time, got grids for {tuned}"
                )
            if tuned and entry.get("weight") == "auto":
                raise ValueError(
                    f"config key {key}.conditions.{condition}: weight 'auto' cannot be "
                    "combined with a tuned l2_weight (the tuning runs' seeds have no "
                    "reference-condition model to scale to)"
                )
            if tuned and dataset["seeds"] > TUNING_SEED_OFFSET:
                raise ValueError(
                    f"config key {key}.seeds: at most {TUNING_SEED_OFFSET} with a tuned "
                    f"condition ({condition}; its tuning runs use seeds from "
                    f"{TUNING_SEED_OFFSET})"
                )
        # keep_positives trains on the strongest peaks of each task: only genomic windows
        # (encode_binary) are labelled from ranked peaks.
        for condition, entry in dataset["conditions"].items():
            if "keep_positives" in entry and "encode_binary" not in dataset:
                raise ValueError(
                    f"config key {key}.conditions.{condition}.keep_positives: only for "
                    "encode_binary datasets (binary window and profile models trained on "
                    f"ranked peaks); {name!r} is not one"
                )
        if "encode_binary" in dataset:
            check_genomic_dataset(
                config,
                key,
                dataset["encode_binary"],
                profile_models,
            )
            continue
        if "encode_regions" in dataset:
            check_region_dataset(config, key, dataset["encode_regions"])
            continue
        if "published_h5" in dataset:
            check_external_ref(config, f"{key}.published_h5.file", dataset["published_h5"]["file"])
            continue
        method = dataset["figures"]["method"]
        if method not in dataset["attribution"]["methods"]:
            raise ValueError(
                f"config key {key}.figures.method: {method!r} is not one of "
                f"{key}.attribution.methods {sorted(dataset['attribution']['methods'])}"
            )
        (simulation,) = (dataset[name] for name in SIMULATORS if name in dataset)
        if "published" in simulation:
            check_external_ref(config, f"{key}.billboard.published", simulation["published"])
            continue
        if abs(sum(simulation["split"].values()) - 1) > 1e-6:
            raise ValueError(f"config key {key}.split: fractions must sum to 1")
        if "billboard" in dataset:
            per_sequence = simulation["motifs_per_sequence"]
            if len(per_sequence["counts"]) != len(per_sequence["probabilities"]):
                raise ValueError(
                    f"config key {key}.billboard.motifs_per_sequence: counts and "
                    "probabilities differ in length"
                )
            if abs(sum(per_sequence["probabilities"]) - 1) > 1e-6:
                raise ValueError(
                    f"config key {key}.billboard.motifs_per_sequence.probabilities must sum to 1"
                )
    lock = config.get("encode", {}).get("lock")
    if lock is not None and not Path(lock).is_file():
        raise ValueError(
            f"config key encode.lock: {lock!r} is not a file (a download lock of an "
            "earlier run, results/<dataset>/data/downloads.tsv, copied or named here)"
        )


def check_ensembles(config: dict) -> None:
    """datasets.<name>.ensemble: explained datasets, Koo CNNs of the dataset, a condition
    of it trained without a reference model or a weight grid, two members at least."""
    for name, dataset in config["datasets"].items():
        if "ensemble" not in dataset:
            continue
        key = f"datasets.{name}.ensemble"
        ensemble = dataset["ensemble"]
        if "attribution" not in dataset:
            raise ValueError(
                f"config key {key}: the members explain the dataset's attribution "
                f"sequences, but datasets.{name} has no attribution section"
            )
        for model in ensemble["models"]:
            if model not in dataset["models"]:
                raise ValueError(
                    f"config key {key}.models: {model!r} is not one of datasets.{name}.models "
                    f"{dataset['models']}"
                )
            architecture = config["models"][model]["architecture"]
            if architecture not in ("cnn_shallow", "cnn_deep"):
                raise ValueError(
                    f"config key {key}.models: {model!r} is a {architecture}; the members vary "
                    "the first-layer filter count of cnn_shallow or cnn_deep"
                )
        condition = ensemble_condition(dataset)
        if condition not in dataset["conditions"]:
            raise ValueError(
                f"config key {key}.condition: {condition!r} is not one of "
                f"datasets.{name}.conditions {sorted(dataset['conditions'])}"
            )
        settings = dataset["conditions"][condition]
        if settings.get("weight") == "auto" or tuned_key(settings):
            raise ValueError(
                f"config key {key}.condition: {condition!r} scales or tunes its weight on "
                "other runs; the members train under a condition with a fixed weight"
            )
        shown = config.get("paper", {}).get("fig_koo_ensemble", {})
        if name in shown.get("datasets", []) and not set(
            shown.get("models", ensemble["models"])
        ) & set(ensemble["models"]):
            raise ValueError(
                f"config key paper.fig_koo_ensemble.models: none of {shown['models']} has "
                f"an ensemble in {key}.models {ensemble['models']}"
            )
        # Imported here: attrprior.ensemble brings torch, which a run without ensembles
        # need not load at parse time.
        from attrprior.ensemble import angle_bin_count

        try:
            angle_bin_count(ensemble.get("angle_bin_width", 5))
        except ValueError as error:
            raise ValueError(f"config key {key}.angle_bin_width: {error}") from None
        method = ensemble.get("method", "saliency")
        if method not in dataset["attribution"]["methods"]:
            raise ValueError(
                f"config key {key}.method: {method!r} is not one of datasets.{name}."
                f"attribution.methods {sorted(dataset['attribution']['methods'])} (its "
                "settings come from there)"
            )
        if len(ensemble["n_filters"]) * ensemble["models_per_filter"] < 2:
            raise ValueError(
                f"config key {key}: n_filters x models_per_filter is 1 model; an ensemble "
                "needs at least 2"
            )


def check_published_models(paths) -> None:
    """Published models: Koo CNNs, in datasets that train nothing (every condition empty)
    and whose seeds all have a weights file; each error names the key. ``paths``: the
    config's :class:`attrprior.workflow.paths.Paths`."""
    config = paths.config
    for model in paths.published_models:
        architecture = config["models"][model]["architecture"]
        if architecture not in ("cnn_shallow", "cnn_deep"):
            raise ValueError(
                f"config key models.{model}.published_weights: only for cnn_shallow and "
                f"cnn_deep (Keras weights of Majdandzic et al.'s CNNs), not {architecture}"
            )
    for name, dataset in config["datasets"].items():
        published = [model for model in dataset["models"] if model in paths.published_models]
        if not published:
            continue
        for condition, entry in dataset["conditions"].items():
            if entry:
                raise ValueError(
                    f"config key datasets.{name}.conditions.{condition}: the published "
                    f"model {published[0]!r} is not trained here, so every condition of "
                    "its dataset must be empty ({})"
                )
        if (
            name in paths.genomic_datasets
            and name not in paths.region_datasets + paths.published_datasets
        ):
            raise ValueError(
                f"config key datasets.{name}.models: published models are Majdandzic et "
                "al.'s binary CNNs, for simulated, encode_regions or published_h5 datasets"
            )
        for model in published:
            github = is_github_source(config["models"][model]["published_weights"])
            for seed in range(dataset["seeds"]):
                if github:
                    try:
                        paths.published_weights_download(model, seed)
                    except KeyError as error:
                        raise ValueError(
                            f"config key models.{model}.published_weights: seed {seed} "
                            f"(datasets.{name}.seeds is {dataset['seeds']}): {error.args[0]}"
                        ) from None
                    continue
                path = Path(paths.published_weights_file(model, seed))
                if not path.is_file():
                    raise ValueError(
                        f"config key models.{model}.published_weights: no file {path} for "
                        f"seed {seed} (datasets.{name}.seeds is {dataset['seeds']})"
                    )
        ensemble = set(dataset.get("ensemble", {}).get("models", [])) & set(published)
        if ensemble:
            raise ValueError(
                f"config key datasets.{name}.ensemble.models: {sorted(ensemble)} are "
                "published; ensemble members are trained with varying filter counts"
            )
