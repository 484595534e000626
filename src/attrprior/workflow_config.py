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


# Separates an archive's name from a member's in an external ref (<name>/<member>).
EXTERNAL_MEMBER_SEPARATOR = "/"


# Downloaded reference files per assembly: config key -> local file name.
REFERENCE_FILES = {
    "fasta": "genome.fasta.gz",
    "chrom_sizes": "chrom.sizes",
    "blacklist": "blacklist.bed.gz",
}


def external_parts(ref):
    """``(name, separator, member)`` of an external ref (``member`` empty for a file)."""
    return ref.partition(EXTERNAL_MEMBER_SEPARATOR)


def check_download_source(config, key, source):
    """The assembly of a genomic data section has references (chromosome sizes given, or
    read from an external FASTA), and the portal is set if any file comes from it."""
    references = config.get("references", {})
    if source["assembly"] not in references:
        raise ValueError(
            f"config key {key}.assembly: {source['assembly']!r} has no entry under "
            f"references (defined: {sorted(references)})"
        )
    reference = references[source["assembly"]]
    reference_key = f"references.{source['assembly']}"
    for kind in REFERENCE_FILES:
        if isinstance(reference.get(kind), dict):
            check_external_ref(config, f"{reference_key}.{kind}", reference[kind]["external"])
    if "chrom_sizes" not in reference and not isinstance(reference["fasta"], dict):
        raise ValueError(
            f"config key {reference_key}.chrom_sizes: required unless the FASTA is an "
            "external file (its sizes are then read from it)"
        )
    if "encode" not in config and uses_portal(reference, source):
        raise ValueError(f"config key encode: required by {key} (base_url of the portal)")


def uses_portal(reference, source):
    """Whether a genomic data section or its references take any file from the ENCODE
    portal (by accession, alias or output type), rather than all from external."""
    if any(isinstance(reference.get(kind), str) for kind in REFERENCE_FILES):
        return True
    if "experiments" not in source:
        return True  # encode_regions: peaks by accession or output type
    return any(portal_roles(entry) for entry in source["experiments"].values())


def check_region_dataset(config, key, source):
    """Cross-key checks of an ``encode_regions`` dataset section."""
    key = f"{key}.encode_regions"
    check_download_source(config, key, source)
    if abs(sum(source["split"].values()) - 1) > 1e-6:
        raise ValueError(f"config key {key}.split: fractions must sum to 1")


def check_genomic_dataset(config, key, source, parse_split_region, profile_models=()):
    """Cross-key checks of an ``encode_binary`` dataset section (and what the dataset's
    profile models, if any, need of it). ``parse_split_region`` is
    :func:`attrprior.chroms.parse_split_region` (passed in: at parse time the workflow loads
    this file and chroms.py each by itself)."""
    key = f"{key}.encode_binary"
    check_download_source(config, key, source)
    references = config["references"]
    chroms = references[source["assembly"]]["chroms"]
    regions = {}
    for split, entries in source["splits"].items():
        try:
            regions[split] = [parse_split_region(entry) for entry in entries]
        except ValueError as error:
            raise ValueError(f"config key {key}.splits.{split}: {error}") from None
    for split, entries in regions.items():
        unknown = sorted({chrom for chrom, _, _ in entries} - set(chroms))
        if unknown:
            raise ValueError(
                f"config key {key}.splits.{split}: {unknown} not among "
                f"references.{source['assembly']}.chroms"
            )
    for chrom, start, end in regions["valid"]:
        for other, other_start, other_end in regions["test"]:
            if (
                chrom == other
                and start < (other_end or math.inf)
                and other_start < (end or math.inf)
            ):
                shared_end = min(end or math.inf, other_end or math.inf)
                shared = (
                    chrom
                    if shared_end == math.inf
                    else f"{chrom}:{max(start, other_start)}-{shared_end}"
                )
                raise ValueError(f"config key {key}.splits: valid and test share {shared}")
    whole = {chrom for entries in regions.values() for chrom, _, end in entries if end is None}
    if not set(chroms) - whole:
        raise ValueError(f"config key {key}.splits: no chromosome is left for training")
    for ref in footprint_refs(source):
        check_external_ref(config, f"{key}.footprints", ref)
    for task, entry in source["experiments"].items():
        check_task_sources(config, f"{key}.experiments.{task}", entry)
    unknown = sorted(
        set(source.get("truth", {}).get("bound_sites", {})) - set(source["experiments"])
    )
    if unknown:
        raise ValueError(f"config key {key}.truth.bound_sites: {unknown} are not experiments")
    strands = profile_strands(source)
    for task, entry in source["experiments"].items():
        for role in ("signal", "control_signal"):
            if role in entry and sorted(entry[role]) != sorted(strands):
                raise ValueError(
                    f"config key {key}.experiments.{task}.{role}: {key}.profile.stranded is "
                    f"{strands != ['unstranded']}, so the bigWigs are {strands}; got "
                    f"{sorted(entry[role])}"
                )
    if not profile_models:
        return
    if "profile" not in source:
        raise ValueError(
            f"config key {key}.profile: required by the profile models {profile_models} "
            "(input_length, output_length, max_jitter of the summit-centred examples)"
        )
    with_reads = [t for t, e in source["experiments"].items() if has_reads(e)]
    if not with_reads:
        raise ValueError(
            f"config key {key}.experiments: the profile models {profile_models} need the "
            "alignments (BAM accessions, or {output_type: ...}) or the signal bigWigs of at "
            f"least one task; none of {sorted(source['experiments'])} has either"
        )
    with_control = [t for t in with_reads if has_control(source["experiments"][t])]
    if with_control and with_control != with_reads:
        raise ValueError(
            f"config key {key}.experiments: a control (control_alignments or "
            f"control_signal) on {with_control} but not on "
            f"{sorted(set(with_reads) - set(with_control))}; the profile models "
            f"{profile_models} take a control track for every task or for none"
        )
    # tseng_profile: 7 dilated convolutions (kernels 21, 3, ..., dilations 1 ... 64) crop
    # 272 bp, the profile head's kernel (75) 74 more: 1346 -> 1000.
    profile = source["profile"]
    if profile["input_length"] - profile["output_length"] != 346:
        raise ValueError(
            f"config key {key}.profile: the profile models {profile_models} predict "
            "input_length - 346 positions (1346 -> 1000); got input_length "
            f"{profile['input_length']} and output_length {profile['output_length']}"
        )


def footprint_refs(source):
    """The external files (refs) of an encode_binary section's footprints, as a list."""
    footprints = source.get("footprints", [])
    return [footprints] if isinstance(footprints, str) else list(footprints)


def check_external_ref(config, key, ref):
    """An external ref (<name> or <name>/<member>) names an entry (and member) of external."""
    external = config.get("external", {})
    name, _, member = external_parts(ref)
    if name not in external:
        raise ValueError(
            f"config key {key}: {ref!r} names no entry of external (defined: {sorted(external)})"
        )
    members = external[name].get("members", {})
    if member and member not in members:
        raise ValueError(
            f"config key {key}: {ref!r}: external.{name} has no member {member!r} "
            f"(members: {sorted(members)})"
        )
    if not member and members:
        raise ValueError(
            f"config key {key}: {ref!r} is an archive (external.{name}.members); name one "
            f"of its members, {name}/<member> ({sorted(members)})"
        )


def portal_roles(entry):
    """The file roles of an experiments entry that come from the ENCODE portal (by
    accession or output type) rather than from external (files, reads to align, BAMs).
    """
    roles = ("optimal_peaks", "relaxed_peaks", "alignments", "control_alignments")
    return [
        role
        for role in roles
        if role in entry
        and not (isinstance(entry[role], dict) and {"external", "fastq", "bam"} & set(entry[role]))
    ]


def check_task_sources(config, key, entry):
    """An experiments entry: external refs exist; an experiment is named when any file
    comes from ENCODE (by accession or output type)."""
    for role, ref in task_external_refs(entry):
        check_external_ref(config, f"{key}.{role}", ref)
    from_encode = portal_roles(entry)
    if from_encode and "experiment" not in entry:
        raise ValueError(
            f"config key {key}.experiment: required, as {from_encode} come from ENCODE "
            "(only a task whose files all come from external needs none)"
        )


def task_external_refs(entry):
    """``(config key, ref)`` of every external file of an experiments entry: its peaks,
    count bigWigs (pos, neg or unstranded) and reads to align."""
    refs = []
    for role in ("optimal_peaks", "relaxed_peaks"):
        if isinstance(entry.get(role), dict) and "external" in entry[role]:
            refs.append((role, entry[role]["external"]))
    for role in ("signal", "control_signal"):
        for strand in ("pos", "neg", "unstranded"):
            if strand in entry.get(role, {}):
                refs.append((f"{role}.{strand}", entry[role][strand]))
    for role in ("alignments", "control_alignments"):
        refs += [(f"{role}.fastq", ref) for ref in fastq_refs(entry.get(role))]
        if isinstance(entry.get(role), dict) and "bam" in entry[role]:
            refs += [(f"{role}.bam", ref) for ref in entry[role]["bam"]]
    return refs


def fastq_refs(alignments):
    """The external FASTQ refs of an alignments (or control_alignments) value that names
    reads to align ({fastq: [...]}), else none."""
    if isinstance(alignments, dict) and "fastq" in alignments:
        return list(alignments["fastq"])
    return []


def profile_strands(source):
    """The strands of an encode_binary section's count tracks, as file names use them:
    pos and neg (stranded, S = 2), or unstranded (profile.stranded: false, S = 1)."""
    if source.get("profile", {}).get("stranded", True):
        return ["pos", "neg"]
    return ["unstranded"]


def has_reads(entry):
    """Whether an experiments entry has read tracks (alignments, or signal bigWigs)."""
    return "alignments" in entry or "signal" in entry


def has_control(entry):
    """Whether an experiments entry has a control track (control_alignments or
    control_signal)."""
    return "control_alignments" in entry or "control_signal" in entry


def model_tasks(dataset, models):
    """The task names of a dataset's models in output order: an encode_binary section's
    experiments (profile models: those with read tracks); none for one unnamed task."""
    if "encode_binary" not in dataset:
        return []
    experiments = dataset["encode_binary"]["experiments"]
    profile = all(models[model]["architecture"] == "tseng_profile" for model in dataset["models"])
    return [task for task, entry in experiments.items() if has_reads(entry) or not profile]


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


# Named targets for the papers' tables and figures (rules/paper.smk; docs/targets.md lists
# what each shows) -> the kind of dataset each accepts (dataset_kinds). config key paper.<target>
# lists the datasets (and optionally models and conditions) each target draws on; the
# schema lists the same target names.
PAPER_TARGETS = {
    "table1": "any",
    "table2": "attributed",
    "table3": "placement",
    "table4": "footprints",
    "table_simulation": "single_motif",
    "table_baselines": "any",
    "fig1": "simulated",
    "fig2": "attributed",
    "fig3": "motifs",
    "fig4": "any",
    "fig5": "single_motif",
    "fig1_koo": "angles",
    "fig2_koo": "simulated",
    "fig_koo_ensemble": "ensemble",
}
# What each kind means, for error messages.
KIND_NEEDS = {
    "attributed": "attributions (a simulated dataset, or encode_binary with attribution)",
    "placement": "attributions on genomic peaks (encode_binary with attribution)",
    "footprints": "attributions and footprints (encode_binary with attribution and footprints)",
    "simulated": "attributions scored against a ground truth (a simulated dataset)",
    "single_motif": "the synthetic SPI1 simulation (single_motif)",
    "motifs": "TF-MoDISco motifs (a dataset with a motifs section)",
    "ensemble": "an ensemble of models (a dataset with an ensemble section)",
    "angles": "attribution maps (a simulated dataset, or any with an attribution section)",
}


def dataset_kinds(settings):
    """The kinds of PAPER_TARGETS a dataset's config section satisfies."""
    simulated = any(name in settings for name in SIMULATORS)
    placement = "encode_binary" in settings and "attribution" in settings
    kinds = {"any"}
    if simulated or "attribution" in settings:
        kinds.add("angles")
    if simulated:
        kinds |= {"simulated", "attributed"}
    if "single_motif" in settings:
        kinds.add("single_motif")
    if "motifs" in settings:
        kinds.add("motifs")
    if "ensemble" in settings:
        kinds.add("ensemble")
    if placement:
        kinds |= {"attributed", "placement"}
        if "footprints" in settings["encode_binary"]:
            kinds.add("footprints")
    return kinds


def check_paper_targets(config):
    """config key paper (target names are checked by the schema): existing datasets of the
    right kind, known models and conditions; each error names the key."""
    for target, selection in config.get("paper", {}).items():
        key = f"paper.{target}"
        accepts = PAPER_TARGETS[target]
        for dataset in selection["datasets"]:
            if dataset not in config["datasets"]:
                raise ValueError(
                    f"config key {key}.datasets: {dataset!r} is not one of datasets "
                    f"{sorted(config['datasets'])}"
                )
            settings = config["datasets"][dataset]
            if accepts not in dataset_kinds(settings):
                raise ValueError(
                    f"config key {key}.datasets: {dataset!r} does not fit {target}, which "
                    f"needs {KIND_NEEDS[accepts]}"
                )
            if target == "table2" and settings["seeds"] < 2:
                raise ValueError(
                    f"config key {key}.datasets: {dataset!r} has seeds: "
                    f"{settings['seeds']}; stability across seeds needs at least 2"
                )
            for field in ("models", "conditions"):
                unknown = set(selection.get(field, [])) - set(settings[field])
                if unknown:
                    raise ValueError(
                        f"config key {key}.{field}: {sorted(unknown)} not in "
                        f"datasets.{dataset}.{field}"
                    )
        if "subsampled" in selection:
            if target != "table2":
                raise ValueError(
                    f"config key {key}.subsampled: only for table2 (similarity between "
                    "models trained on all and on a subset of the data)"
                )
            check_subsampled(config, f"{key}.subsampled", selection)
