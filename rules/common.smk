# Config validation, wildcard constraints and path helpers shared by every stage.
import math
import os
import re
import sys
from argparse import Namespace
from pathlib import Path

import yaml
from snakemake.utils import validate


class UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last
    silently). Keys beside a merge (``<<: *anchor``) override it, by design; each mapping is
    checked once, before PyYAML folds its merges into it."""

    def __init__(self, stream):
        super().__init__(stream)
        self.checked = set()

    def flatten_mapping(self, node):
        if id(node) not in self.checked:
            self.checked.add(id(node))
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise ValueError(
                        f"{key_node.start_mark.name}, line {key_node.start_mark.line + 1}: "
                        f"config key {key!r} is given twice in one mapping (first on line "
                        f"{seen[key] + 1}); the second would silently win"
                    )
                seen[key] = key_node.start_mark.line
        super().flatten_mapping(node)


def check_library_location():
    """The jobs must import this checkout's attrprior (``workflow/scripts/attrprior``, a link
    to ``src/attrprior``). Snakemake appends a script's directory to ``sys.path``, so an
    attrprior installed in the environment (another checkout, or a stale copy) would win
    silently; stop instead, naming both."""
    import importlib.util

    checkout = (Path(workflow.basedir) / "workflow" / "scripts" / "attrprior").resolve()
    spec = importlib.util.find_spec("attrprior")
    if spec is None or spec.origin is None:
        return  # not installed: the jobs find the checkout's link
    installed = Path(spec.origin).resolve().parent
    if installed != checkout:
        raise ValueError(
            f"the environment's attrprior ({installed}) is not this checkout's ({checkout}): "
            "the workflow's jobs would import it instead. Install this checkout "
            "(pip install -e .), or uninstall the other one (pip uninstall attrprior)"
        )


check_library_location()


def load_parse_time_module(name):
    """attrprior.<name> of this checkout, loaded from its file (standard library only), so
    that it serves before any job runs, whatever the environment has installed."""
    import importlib.util

    path = Path(workflow.basedir) / "src" / "attrprior" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"attrprior_{name}_at_parse", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


CHROMS = load_parse_time_module("chroms")
WORKFLOW_CONFIG = load_parse_time_module("workflow_config")
# What the rules' input functions use of the config logic.
REFERENCE_FILES = WORKFLOW_CONFIG.REFERENCE_FILES
external_parts = WORKFLOW_CONFIG.external_parts
footprint_refs = WORKFLOW_CONFIG.footprint_refs
task_external_refs = WORKFLOW_CONFIG.task_external_refs
fastq_refs = WORKFLOW_CONFIG.fastq_refs
profile_strands = WORKFLOW_CONFIG.profile_strands
has_reads = WORKFLOW_CONFIG.has_reads
has_control = WORKFLOW_CONFIG.has_control
model_tasks = WORKFLOW_CONFIG.model_tasks
tuned_key = WORKFLOW_CONFIG.tuned_key
portal_roles = WORKFLOW_CONFIG.portal_roles

# Each config file as written (read once: for duplicate keys here, and to resolve the
# relative paths a file names, config_file_naming).
CONFIG_FILE_CONTENTS = {}
for configfile_path in workflow.configfiles:
    with open(configfile_path) as handle:
        CONFIG_FILE_CONTENTS[configfile_path] = yaml.load(
            handle, Loader=UniqueKeyLoader
        )

validate(config, schema="../config/schema.yaml")


# Tuning runs use seeds 10000, 10001, ...: never a seed of the condition's own runs, so the
# runs compared downstream are not those the weight was selected on.
TUNING_SEED_OFFSET = 10000


def check_device(config):
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


def check_config(config):
    """Cross-key checks the JSON schema cannot express; each error names the key."""
    WORKFLOW_CONFIG.check_values(config)
    WORKFLOW_CONFIG.check_results_directory(config)
    # Opens the JASPAR database (about 0.6 s): once, in the main process, not again in each
    # job's own parse of the workflow (cluster and subprocess jobs).
    if not (workflow.remote_exec or workflow.subprocess_exec):
        WORKFLOW_CONFIG.check_jaspar_ids(config)
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
            model
            for model in dataset["models"]
            if models[model]["architecture"] == "tseng_profile"
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
            profile = (
                dataset["encode_binary"].get("profile", {}) if profile_models else {}
            )
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
            limit = WORKFLOW_CONFIG.default_highfreq_limit(key, dataset, models)
            evaluation["highfreq_limit"] = limit
        WORKFLOW_CONFIG.check_frequency_limits(config, key, dataset)
        attribution = dataset.get("attribution")
        figures = dataset.get("figures")
        if (
            attribution
            and figures
            and figures["logo_sequence"] >= attribution["n_sequences"]
        ):
            raise ValueError(
                f"config key {key}.figures.logo_sequence: {figures['logo_sequence']} is out "
                f"of range; {key}.attribution.n_sequences explains "
                f"{attribution['n_sequences']} sequences (0..{attribution['n_sequences'] - 1})"
            )
        WORKFLOW_CONFIG.check_explained_sequences(key, dataset)
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
            tuned = [
                k for k in ("weight", "l2_weight") if isinstance(entry.get(k), dict)
            ]
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
            WORKFLOW_CONFIG.check_genomic_dataset(
                config,
                key,
                dataset["encode_binary"],
                CHROMS.parse_split_region,
                profile_models,
            )
            continue
        if "encode_regions" in dataset:
            WORKFLOW_CONFIG.check_region_dataset(config, key, dataset["encode_regions"])
            continue
        if "published_h5" in dataset:
            WORKFLOW_CONFIG.check_external_ref(
                config, f"{key}.published_h5.file", dataset["published_h5"]["file"]
            )
            continue
        method = dataset["figures"]["method"]
        if method not in dataset["attribution"]["methods"]:
            raise ValueError(
                f"config key {key}.figures.method: {method!r} is not one of "
                f"{key}.attribution.methods {sorted(dataset['attribution']['methods'])}"
            )
        (simulation,) = (
            dataset[name] for name in WORKFLOW_CONFIG.SIMULATORS if name in dataset
        )
        if "published" in simulation:
            WORKFLOW_CONFIG.check_external_ref(
                config, f"{key}.billboard.published", simulation["published"]
            )
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
                    f"config key {key}.billboard.motifs_per_sequence.probabilities must "
                    "sum to 1"
                )
    lock = config.get("encode", {}).get("lock")
    if lock is not None and not Path(lock).is_file():
        raise ValueError(
            f"config key encode.lock: {lock!r} is not a file (a download lock of an "
            "earlier run, results/<dataset>/data/downloads.tsv, copied or named here)"
        )


check_config(config)


def config_file_naming(keys, value):
    """The config file (last first, as later files win) whose YAML holds ``value`` at
    ``keys``, or None (a value from --config)."""
    for path in reversed(workflow.configfiles):
        node = CONFIG_FILE_CONTENTS[path]
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node == value:
            return Path(path)
    return None


def config_relative(keys, value):
    """A path of the config, absolute: relative paths are relative to the config file
    that names them (the working directory for --config values)."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    named_in = config_file_naming(keys, value)
    # abspath, not resolve(): a link of the user's keeps pointing where they point it.
    return Path(os.path.abspath((named_in.parent if named_in else Path.cwd()) / path))


def local_files(config):
    """external entries with a path -> the absolute path; each must exist."""
    files = {}
    for name, entry in config.get("external", {}).items():
        if "path" in entry:
            path = config_relative(["external", name, "path"], entry["path"])
            if not path.is_file():
                raise ValueError(
                    f"config key external.{name}.path: {entry['path']!r} is not a file "
                    f"({path})"
                )
            files[name] = path
    return files


def chrom_aliases(config):
    """config chrom_aliases as a mapping (a file of two columns is read)."""
    value = config.get("chrom_aliases")
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    path = config_relative(["chrom_aliases"], value)
    if not path.is_file():
        raise ValueError(f"config key chrom_aliases: {value!r} is not a file ({path})")
    return CHROMS.read_aliases(path)


def check_local_chrom_names(config):
    """Before any job: every local file of a genomic dataset (alignments, peaks, bigWigs,
    blacklist, chromosome sizes, footprints) shares chromosome names with the dataset's
    local genome FASTA, after chrom_aliases; the assembly's chroms are in that FASTA."""
    hint = "; map them with the config key chrom_aliases (e.g. chrom_aliases: {'22': chr22})"
    for dataset in config["datasets"]:
        settings = config["datasets"][dataset]
        source = settings.get("encode_binary") or settings.get("encode_regions")
        if source is None:
            continue
        reference = config["references"][source["assembly"]]
        fasta = reference["fasta"]
        if not (isinstance(fasta, dict) and fasta["external"] in LOCAL_FILES):
            continue
        genome = LOCAL_FILES[fasta["external"]]
        genome_names = CHROMS.renamed(CHROMS.sequence_names(genome), CHROM_ALIASES)
        missing = [chrom for chrom in reference["chroms"] if chrom not in genome_names]
        others = [
            reference[kind]["external"]
            for kind in ("chrom_sizes", "blacklist")
            if isinstance(reference.get(kind), dict)
        ]
        others += footprint_refs(source)
        for entry in source.get("experiments", {}).values():
            # Reads to align (FASTQ) name no chromosome.
            others += [
                ref
                for role, ref in task_external_refs(entry)
                if not role.endswith(".fastq")
            ]
        for ref in dict.fromkeys(others):
            if ref in LOCAL_FILES:
                names = CHROMS.sequence_names(LOCAL_FILES[ref])
                CHROMS.check_shared_names(
                    genome,
                    genome_names,
                    LOCAL_FILES[ref],
                    CHROMS.renamed(names, CHROM_ALIASES),
                    hint,
                )
        if missing:
            raise ValueError(
                f"config key references.{source['assembly']}.chroms: {missing} are not in "
                f"{genome} (its names: {genome_names[:6]}){hint}"
            )


LOCAL_FILES = local_files(config)
CHROM_ALIASES = chrom_aliases(config)
if LOCAL_FILES and not (workflow.remote_exec or workflow.subprocess_exec):
    check_local_chrom_names(config)

RESULTS = config["results"]
DOWNLOADS = config.get("downloads", "resources")
DATASETS = list(config["datasets"])
# Genomic datasets: genome-wide windows (encode_binary) or peak-centred regions
# (encode_regions); the rest are simulated.
WINDOW_DATASETS = [
    name for name, entry in config["datasets"].items() if "encode_binary" in entry
]
REGION_DATASETS = [
    name for name, entry in config["datasets"].items() if "encode_regions" in entry
]
# Datasets published as HDF5 splits (published_h5): trained as regions are.
PUBLISHED_DATASETS = [
    name for name, entry in config["datasets"].items() if "published_h5" in entry
]
GENOMIC_DATASETS = WINDOW_DATASETS + REGION_DATASETS + PUBLISHED_DATASETS
SIMULATED_DATASETS = [name for name in DATASETS if name not in GENOMIC_DATASETS]
# Billboard datasets read from a published draw (billboard.published), not simulated.
PUBLISHED_BILLBOARDS = [
    name
    for name in SIMULATED_DATASETS
    if "published" in config["datasets"][name].get("billboard", {})
]


def dataset_config(wildcards, key):
    """The ``key`` section of the dataset named by ``wildcards.dataset``."""
    return config["datasets"][wildcards.dataset][key]


wildcard_constraints:
    dataset="|".join(DATASETS),
    model="|".join(config["models"]),
    condition="|".join(
        sorted({c for d in config["datasets"].values() for c in d["conditions"]})
    ),
    seed=r"\d+",
    weight_index=r"\d+",
    assembly="|".join(config.get("references", {})) or "(?!)",
    accession=r"ENCFF\d{3}[A-Z]{3}",
    track="signal|control",


# Keys of a single_motif section that say how models are trained and explained, not what
# is simulated: changing them does not re-simulate the dataset.
PROTOCOL_KEYS = ("fresh_training_batches", "evaluation")


def simulation_config(wildcards):
    """``{simulator: settings}``: only the simulator section, without its protocol keys, so
    that editing a dataset's conditions, training or evaluation does not re-simulate it (and
    retrain everything)."""
    entry = config["datasets"][wildcards.dataset]
    return {
        name: {
            key: value for key, value in entry[name].items() if key not in PROTOCOL_KEYS
        }
        for name in WORKFLOW_CONFIG.SIMULATORS
        if name in entry
    }


def single_motif_settings(wildcards, drop=()):
    """A single_motif section (with its protocol keys but those in ``drop``), or None for
    other datasets."""
    section = config["datasets"][wildcards.dataset].get("single_motif")
    if section is None:
        return None
    return {key: value for key, value in section.items() if key not in drop}


def reference_run(wildcards, pattern):
    """``pattern`` for the reference-condition run with the same dataset, model and seed."""
    return pattern.format(
        dataset=wildcards.dataset,
        model=wildcards.model,
        condition=dataset_config(wildcards, "evaluation")["reference_condition"],
        seed=wildcards.seed,
    )


# Packed seeds (config key pack_seeds): rule train_model_pack trains seeds first … last of a
# dataset × model × condition together into PACK; unpack_packed_seed copies each seed out.
PACK = (
    f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/pack_seeds{{first}}-{{last}}"
)


def seed_pack(seed, n_seeds, pack_size):
    """``(first, last)``: the pack of ``pack_size`` consecutive seeds, of ``0 … n_seeds−1``,
    that holds ``seed``."""
    if not 0 <= seed < n_seeds:
        raise ValueError(
            f"seed {seed} is not one of the dataset's seeds 0 … {n_seeds - 1}"
        )
    first = seed // pack_size * pack_size
    return first, min(first + pack_size, n_seeds) - 1


def pack_directory(wildcards, pattern, n_seeds):
    """``pattern`` for the pack of ``n_seeds`` seeds that holds ``wildcards.seed``."""
    first, last = seed_pack(int(wildcards.seed), n_seeds, config["pack_seeds"])
    return pattern.format(**{**dict(wildcards.items()), "first": first, "last": last})


def packed_seed_source(wildcards):
    """The pack directory that holds the seed's trained files (rule unpack_packed_seed)."""
    return pack_directory(wildcards, PACK, dataset_config(wildcards, "seeds"))


def pack_seeds(wildcards):
    """The seeds a pack trains (rule train_model_pack)."""
    return list(range(int(wildcards.first), int(wildcards.last) + 1))


def pack_references(wildcards):
    """With ``weight: auto``, each packed seed's reference-condition model."""
    if (
        dataset_config(wildcards, "conditions")[wildcards.condition].get("weight")
        != "auto"
    ):
        return []
    return [
        reference_run(
            Namespace(**{**dict(wildcards.items()), "seed": seed}),
            rules.train_model.output.model,
        )
        for seed in pack_seeds(wildcards)
    ]


# The grid runs of a condition whose weight is tuned (rules train_tuning_run, choose_weight).
TUNING_RUN = (
    f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/tuning/"
    "weight{weight_index}/seed{seed}"
)


def tuning_run_condition(wildcards):
    """The conditions entry of one grid run: the tuned key set to its grid weight."""
    entry = dataset_config(wildcards, "conditions")[wildcards.condition]
    key = tuned_key(entry)
    return {**entry, key: entry[key]["grid"][int(wildcards.weight_index)]}


def tuning_runs(wildcards, pattern):
    """``pattern`` for every grid weight × tuning seed of a tuned condition (fields
    dataset, model, condition, weight_index, weight, seed)."""
    entry = dataset_config(wildcards, "conditions")[wildcards.condition]
    tuning = entry[tuned_key(entry)]
    return [
        pattern.format(
            dataset=wildcards.dataset,
            model=wildcards.model,
            condition=wildcards.condition,
            weight_index=index,
            weight=weight,
            seed=TUNING_SEED_OFFSET + i,
        )
        for index, weight in enumerate(tuning["grid"])
        for i in range(tuning.get("tuning_seeds", 1))
    ]


def run_outputs(pattern, dataset):
    """``pattern`` expanded over every model × condition × seed of ``dataset``."""
    settings = config["datasets"][dataset]
    return expand(
        pattern,
        dataset=dataset,
        model=settings["models"],
        condition=list(settings["conditions"]),
        seed=range(settings["seeds"]),
    )


TABLES = [
    "interpretability",
    "motif_auprc",
    "predictive",
    "angles",
    "tests_vs_reference",
    "tests_corrected_vs_raw",
]
FIGURES = ["metric_distributions", "raw_vs_corrected", "angle_histograms", "logos"]


def genomic_source(dataset):
    """The ``encode_binary`` section of a genomic dataset."""
    return config["datasets"][dataset]["encode_binary"]


def reference_path(assembly, kind):
    """Local path of a reference file (``kind`` in REFERENCE_FILES) of ``assembly``: the
    download (ENCODE accession or alias), the external file, or, where the config leaves
    it out, the chromosome sizes read from the FASTA (rule fasta_chrom_sizes) or an empty
    blacklist (rule empty_blacklist)."""
    value = config["references"][assembly].get(kind)
    if value is None:
        return f"{DOWNLOADS}/{assembly}/{OMITTED_REFERENCE_FILES[kind]}"
    if isinstance(value, dict):
        return external_path(value["external"])
    return f"{DOWNLOADS}/{assembly}/reference/{REFERENCE_FILES[kind]}"


# What stands in for a reference file the config leaves out (references.<assembly>).
OMITTED_REFERENCE_FILES = {
    "chrom_sizes": "fasta.chrom.sizes",
    "blacklist": "no_blacklist.bed",
}


def recorded_reference_files(assembly):
    """The reference files of ``assembly`` that are downloaded or external: each has a
    record (md5, size) for the dataset's lock."""
    return [
        reference_path(assembly, kind)
        for kind in REFERENCE_FILES
        if kind in config["references"][assembly]
    ]


def genome_array(assembly):
    """The encoded genome of ``assembly``: ``{"genome": .npy codes, "genome_index": .json}``."""
    return {
        "genome": f"{DOWNLOADS}/{assembly}/genome.npy",
        "genome_index": f"{DOWNLOADS}/{assembly}/genome.json",
    }


def encode_path(assembly, accession, extension):
    """Local path of a downloaded ENCODE file."""
    return f"{DOWNLOADS}/{assembly}/encode/{accession}.{extension}"


def external_path(ref):
    """Local path of an external file (<name>, rule download_external) or archive member
    (<name>/<member>, rule extract_external_member)."""
    name, _, member = external_parts(ref)
    if member:
        return f"{DOWNLOADS}/external/{name}.members/{member}"
    return f"{DOWNLOADS}/external/{name}"


# External tar archives and their members (external.<name>.members).
ARCHIVES = [
    name for name, entry in config.get("external", {}).items() if "members" in entry
]
ARCHIVE_MEMBERS = sorted(
    {member for name in ARCHIVES for member in config["external"][name]["members"]}
)


def archive_member_pattern(name, member):
    """The pattern of ``member`` in archive ``name``, or an error naming the config key
    (the wildcard constraints allow a member of another archive)."""
    members = config["external"][name]["members"]
    if member not in members:
        raise ValueError(
            f"config key external.{name}.members: no member {member!r} (members: "
            f"{sorted(members)})"
        )
    return members[member]


def task_peaks(assembly, entry, role):
    """Local path of the ``role`` peaks (optimal_peaks or relaxed_peaks) of an experiments
    entry: by file accession, by output type of its experiment (rule
    download_experiment_file), or from external."""
    value = entry[role]
    if isinstance(value, str):
        return encode_path(assembly, value, "bed.gz")
    if "external" in value:
        return external_path(value["external"])
    return peak_source_path(assembly, {"experiment": entry["experiment"], **value})


def peak_files(wildcards, role):
    """The ``role`` peaks (optimal_peaks or relaxed_peaks) of every task that has them, in
    task order (relaxed_peaks are optional)."""
    source = genomic_source(wildcards.dataset)
    return [
        task_peaks(source["assembly"], entry, role)
        for entry in source["experiments"].values()
        if role in entry
    ]


def experiment_alignments_dir(assembly, experiment, role, output_type):
    """The directory rule download_experiment_alignments fills with one BAM (and index)
    per biological replicate of ``experiment`` (role signal) or of its first possible
    control (role control)."""
    slug = output_type_slug(output_type)
    return f"{DOWNLOADS}/{assembly}/experiments/{experiment}/{role}_{slug}"


def task_alignments(assembly, entry, key):
    """The BAMs of an experiments entry's ``key`` (alignments or control_alignments): a
    path per file accession, or, named by output type, one directory of the replicates'
    BAMs. A named control's files are that experiment's own (role signal, shared by every
    task with that control); otherwise control_alignments are those of the first possible
    control of the entry's experiment, read from its JSON (role control)."""
    value = entry[key]
    if isinstance(value, list):
        return [encode_path(assembly, accession, "bam") for accession in value]
    if "bam" in value:
        return [external_path(ref) for ref in value["bam"]]
    if "fastq" in value:
        return [aligned_bam(assembly, ref) for ref in value["fastq"]]
    if key == "alignments":
        experiment, role = entry["experiment"], "signal"
    elif "control" in entry:
        experiment, role = entry["control"], "signal"
    else:
        experiment, role = entry["experiment"], "control"
    return [experiment_alignments_dir(assembly, experiment, role, value["output_type"])]


def aligned_bam(assembly, ref):
    """The BAM of an external FASTQ (ref) aligned to ``assembly`` (rule align_reads)."""
    return f"{DOWNLOADS}/{assembly}/aligned/{ref}.bam"


def bowtie2_prefix(assembly):
    """The prefix of the bowtie2 index of ``assembly`` (rule bowtie2_index)."""
    return f"{DOWNLOADS}/{assembly}/bowtie2/genome"


def bowtie2_index_files(assembly):
    """The six files of the bowtie2 index of ``assembly``, as
    attrprior.alignment.bowtie2_index_files names them."""
    suffixes = (".1.bt2", ".2.bt2", ".3.bt2", ".4.bt2", ".rev.1.bt2", ".rev.2.bt2")
    return [bowtie2_prefix(assembly) + suffix for suffix in suffixes]


# External FASTQ files to align (alignments given as {fastq: [...]}; rule align_reads).
FASTQ_REFS = sorted(
    {
        ref
        for dataset in WINDOW_DATASETS
        for entry in genomic_source(dataset)["experiments"].values()
        for role, ref in task_external_refs(entry)
        if role.endswith(".fastq")
    }
)


def alignment_files(wildcards):
    """BAM files (or a directory of them) of one task (``wildcards.task``), or of its control
    when the track is one."""
    source = genomic_source(wildcards.dataset)
    entry = source["experiments"][wildcards.task]
    key = "control_alignments" if wildcards.track == "control" else "alignments"
    return task_alignments(source["assembly"], entry, key)


def alignment_indexes(wildcards):
    """Indexes of the BAMs named by accession (rule index_bam), aligned here (rule
    align_reads writes them) or external (rule index_external_bam); a directory of BAMs
    holds its own."""
    return [
        f"{bam}.bai"
        for bam in alignment_files(wildcards)
        if bam.endswith(".bam") or bam.startswith(f"{DOWNLOADS}/external/")
    ]


# External BAMs (alignments given as {bam: [...]}; rule index_external_bam).
EXTERNAL_BAMS = sorted(
    {
        ref
        for dataset in WINDOW_DATASETS
        for entry in genomic_source(dataset)["experiments"].values()
        for role, ref in task_external_refs(entry)
        if role.endswith(".bam")
    }
)


def track_outputs(dataset):
    """bigWig tracks built from the alignments of every task that has them (5' counts per
    strand or unstranded, controls)."""
    outputs = []
    for task, entry in genomic_source(dataset)["experiments"].items():
        tracks = ["signal"] + (["control"] if "control_alignments" in entry else [])
        if "alignments" in entry:
            outputs += [
                bw for track in tracks for bw in task_bigwigs(dataset, task, track)
            ]
    return outputs


def profile_tasks(dataset):
    """Tasks of a genomic dataset that have read tracks (alignments or signal bigWigs)."""
    experiments = genomic_source(dataset)["experiments"]
    return [task for task, entry in experiments.items() if has_reads(entry)]


def task_bigwigs(dataset, task, track):
    """The bigWigs (pos, neg; or unstranded) of a task's signal or control track: built
    from its alignments (rule profile_tracks), or given by external (signal,
    control_signal)."""
    source = genomic_source(dataset)
    entry = source["experiments"][task]
    strands = profile_strands(source)
    key = "signal" if track == "signal" else "control_signal"
    if key in entry:
        return [external_path(entry[key][strand]) for strand in strands]
    tracks = f"{RESULTS}/{dataset}/data/tracks"
    return [f"{tracks}/{task}.{track}.{strand}.bigWig" for strand in strands]


def profile_inputs(wildcards):
    """Inputs of profile_examples: genome, summits (optimal peaks) and tracks per task."""
    dataset = wildcards.dataset
    source = genomic_source(dataset)
    tasks = profile_tasks(dataset)
    with_control = all(has_control(source["experiments"][t]) for t in tasks)
    return {
        **genome_array(source["assembly"]),
        "peaks": [
            task_peaks(source["assembly"], source["experiments"][t], "optimal_peaks")
            for t in tasks
        ],
        "signal": [bw for t in tasks for bw in task_bigwigs(dataset, t, "signal")],
        "control": (
            [bw for t in tasks for bw in task_bigwigs(dataset, t, "control")]
            if with_control
            else []
        ),
    }


def region_source(dataset):
    """The ``encode_regions`` section of a genomic dataset."""
    return config["datasets"][dataset]["encode_regions"]


def output_type_slug(output_type):
    """An ENCODE output type as a file name part: "replicated peaks" -> replicated_peaks
    (the schema allows no "_" in output types, so the slug reads back unambiguously)."""
    return output_type.replace(" ", "_")


def peak_source_path(assembly, source):
    """Local path of a peak_source: by file accession, or by experiment and output type
    (resolved from the experiment's JSON by rule download_experiment_file)."""
    if "peaks" in source:
        return encode_path(assembly, source["peaks"], "bed.gz")
    slug = output_type_slug(source["output_type"])
    return f"{DOWNLOADS}/{assembly}/experiments/{source['experiment']}/{slug}.bed.gz"


def region_inputs(wildcards):
    """Inputs of task_regions: reference files, ChIP and DNase peaks, the genome array."""
    source = region_source(wildcards.dataset)
    assembly = source["assembly"]
    return {
        "chrom_sizes": reference_path(assembly, "chrom_sizes"),
        "blacklist": reference_path(assembly, "blacklist"),
        "chip": peak_source_path(assembly, source["chip"]),
        "dnase": peak_source_path(assembly, source["dnase"]),
        **genome_array(assembly),
    }


def downloaded_files(dataset):
    """Every file (or directory of replicate files) a genomic dataset downloads (reference
    files, peaks, alignments), once each; each has a record at ``<path>.download.json``.
    """
    if dataset in PUBLISHED_DATASETS:
        ref = config["datasets"][dataset]["published_h5"]["file"]
        # An archive member is recorded with its archive, as elsewhere.
        archive = external_parts(ref)[0]
        return list(dict.fromkeys([external_path(archive), external_path(ref)]))
    if dataset in REGION_DATASETS:
        source = region_source(dataset)
        assembly = source["assembly"]
        return recorded_reference_files(assembly) + [
            peak_source_path(assembly, source[kind]) for kind in ("chip", "dnase")
        ]
    source = genomic_source(dataset)
    assembly = source["assembly"]
    files = recorded_reference_files(assembly)
    for entry in source["experiments"].values():
        files += [
            task_peaks(assembly, entry, role)
            for role in ("optimal_peaks", "relaxed_peaks")
            if role in entry
        ]
        for key in ("alignments", "control_alignments"):
            # Reads to align are downloaded as external files (below), not as BAMs.
            if key in entry and not fastq_refs(entry[key]):
                files += task_alignments(assembly, entry, key)
    files += [external_path(ref) for ref in dataset_external_refs(source)]
    return list(dict.fromkeys(files))


def dataset_external_refs(source):
    """Every external file of an encode_binary section: the tasks' external peaks, bigWigs
    and reads to align, the footprints, and the archive of each archive member (so the
    lock records the archive's md5 too)."""
    refs = [
        ref
        for entry in source["experiments"].values()
        for _, ref in task_external_refs(entry)
    ]
    refs += footprint_refs(source)
    # An archive member's ref is <archive>/<member>.
    archives = [name for name, _, member in map(external_parts, refs) if member]
    return list(dict.fromkeys(archives + refs))


def genomic_outputs(dataset):
    """Labels, tracks, download lock, predictive table (and label agreement) of a dataset."""
    if dataset in REGION_DATASETS + PUBLISHED_DATASETS:
        outputs = [
            f"{RESULTS}/{dataset}/data/downloads.tsv",
            f"{RESULTS}/{dataset}/data/regions_summary.tsv",
            *expand(
                f"{RESULTS}/{dataset}/tables/{{table}}.{{ext}}",
                table=GENOMIC_TABLES,
                ext=["tsv", "md"],
            ),
        ]
        if "attribution" in config["datasets"][dataset]:
            outputs.append(f"{RESULTS}/{dataset}/scores/pooled.tsv")
            outputs += expand(
                f"{RESULTS}/{dataset}/figures/{{model}}/angle_histograms.png",
                model=config["datasets"][dataset]["models"],
            )
        return outputs
    outputs = [
        f"{RESULTS}/{dataset}/data/downloads.tsv",
        f"{RESULTS}/{dataset}/data/labels_summary.tsv",
        *expand(
            f"{RESULTS}/{dataset}/tables/{{table}}.{{ext}}",
            table=GENOMIC_TABLES,
            ext=["tsv", "md"],
        ),
        *track_outputs(dataset),
    ]
    if "truth" in genomic_source(dataset):
        outputs += expand(
            f"{RESULTS}/{dataset}/tables/label_agreement.{{ext}}", ext=["tsv", "md"]
        )
    if "profile" in genomic_source(dataset) and profile_tasks(dataset):
        outputs.append(f"{RESULTS}/{dataset}/data/profile_examples.tsv")
    if "attribution" in config["datasets"][dataset]:
        outputs.append(f"{RESULTS}/{dataset}/scores/pooled.tsv")
    return outputs


GENOMIC_TABLES = ["predictive", "tests_vs_reference"]


def is_profile_dataset(dataset):
    """Whether a dataset's models are profile models (tseng_profile)."""
    return all(
        config["models"][model]["architecture"] == "tseng_profile"
        for model in config["datasets"][dataset]["models"]
    )


def genomic_attribution_data(wildcards):
    """Inputs of genomic_attribution_inputs: the examples (genome array and labels, or the
    profile examples of a profile dataset), the optimal peaks of every task and, when the
    dataset names them, its footprints and (simulated genomes) planted motif instances.
    """
    dataset = wildcards.dataset
    source = genomic_source(dataset)
    if is_profile_dataset(dataset):
        examples = {"profile_examples": f"{RESULTS}/{dataset}/data/profile_examples"}
    else:
        examples = {
            **genome_array(source["assembly"]),
            "labels": f"{RESULTS}/{dataset}/data/labels.npz",
        }
    return {
        **examples,
        "peaks": peak_files(wildcards, "optimal_peaks"),
        "footprints": [external_path(ref) for ref in footprint_refs(source)],
        "motif_instances": (
            [source["truth"]["motif_instances"]]
            if "motif_instances" in source.get("truth", {})
            else []
        ),
    }


def training_data(wildcards):
    """Inputs of train_model: a simulated dataset, peak-centred regions, a genome array and
    its window labels (with the tasks' optimal peaks when the condition has keep_positives)
    or, for profile models (tseng_profile), the dataset's summit-centred profile examples
    (rule profile_examples, which records the peaks' signal ranks)."""
    if wildcards.dataset in REGION_DATASETS + PUBLISHED_DATASETS:
        return {"regions": f"{RESULTS}/{wildcards.dataset}/data/regions.npz"}
    if config["models"][wildcards.model]["architecture"] == "tseng_profile":
        return {
            "profile_examples": f"{RESULTS}/{wildcards.dataset}/data/profile_examples"
        }
    if wildcards.dataset in WINDOW_DATASETS:
        condition = dataset_config(wildcards, "conditions")[wildcards.condition]
        return {
            **genome_array(genomic_source(wildcards.dataset)["assembly"]),
            "labels": f"{RESULTS}/{wildcards.dataset}/data/labels.npz",
            # keep_positives ranks each task's optimal peaks by signal (task order).
            "peaks": (
                peak_files(wildcards, "optimal_peaks")
                if "keep_positives" in condition
                else []
            ),
        }
    return {"dataset": f"{RESULTS}/{wildcards.dataset}/data/dataset.npz"}


def run_files(dataset):
    """Every run's training outputs, and its attribution maps where the dataset is explained.

    Requested by ``all`` so that a plain rerun rebuilds one that is missing: Snakemake
    otherwise skips a missing intermediate file whose downstream results exist (e.g. a model
    deleted by ``--forcerun`` whose training was then killed), and the rebuilt file's newer
    time then reruns what depends on it.
    """
    settings = config["datasets"][dataset]
    patterns = [
        f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/{name}"
        for name in ("model.pt", "history.tsv", "test_metrics.tsv")
    ]
    if "attribution" in settings:
        patterns.append(
            f"{RESULTS}/{{dataset}}/attributions/{{model}}/{{condition}}/seed{{seed}}.npz"
        )
    return [path for pattern in patterns for path in run_outputs(pattern, dataset)]


def all_outputs():
    """Every table and figure of every dataset, every run's model and attribution maps, and
    the paper targets the config selects."""
    outputs = expand(
        f"{RESULTS}/{{dataset}}/tables/{{table}}.{{ext}}",
        dataset=SIMULATED_DATASETS,
        table=TABLES,
        ext=["tsv", "md"],
    )
    for dataset in GENOMIC_DATASETS:
        outputs += genomic_outputs(dataset)
    outputs += expand(
        f"{DOWNLOADS}/external/{{name}}", name=list(config.get("external", {}))
    )
    for dataset in SIMULATED_DATASETS:
        outputs += expand(
            f"{RESULTS}/{dataset}/figures/{{model}}/{{figure}}.png",
            model=config["datasets"][dataset]["models"],
            figure=FIGURES,
        )
    for dataset in config["datasets"]:
        outputs += run_files(dataset) + ensemble_outputs(dataset)
    return outputs + paper_outputs()


def figure_output(name):
    """A figure of one dataset and model, registered in the Snakemake report."""
    return report(
        f"{RESULTS}/{{dataset}}/figures/{{model}}/{name}.png",
        caption=f"../workflow/report/{name}.rst",
        category="Figures",
        subcategory="{model}",
        labels={"figure": name, "model": "{model}"},
    )


PAPER = f"{RESULTS}/paper"


def paper_report(name, ext):
    """An aggregate output of a paper target, registered in the Snakemake report."""
    return report(
        f"{PAPER}/{name}.{ext}",
        caption=f"../workflow/report/paper_{name}.rst",
        category="Paper tables and figures",
        labels={"target": name, "format": ext},
    )


def paper_selection(target):
    """config key paper.<target>, or an error that says how to ask for the target."""
    if target not in config.get("paper", {}):
        raise ValueError(
            f"target {target} needs config key paper.{target} (its datasets); this "
            "configuration has none. config/paper.yaml sets every target; see config/README.md"
        )
    return config["paper"][target]


def paper_runs(target):
    """Every (dataset, model, condition, seed) a target draws on, as dicts."""
    selection = paper_selection(target)
    runs = []
    for dataset in selection["datasets"]:
        settings = config["datasets"][dataset]
        for model in selection.get("models", settings["models"]):
            for condition in selection.get("conditions", list(settings["conditions"])):
                for seed in range(settings["seeds"]):
                    runs.append(
                        dict(
                            dataset=dataset, model=model, condition=condition, seed=seed
                        )
                    )
    return runs


def table2_subsampled():
    """paper.table2.subsampled per dataset it applies to (the encode_binary datasets of
    table2): {dataset: [{"condition", "subsampled", "keep_positives"}, ...]}, one entry per
    pair; empty without the key."""
    selection = paper_selection("table2")
    return {
        dataset: [
            {
                "condition": full,
                "subsampled": subset,
                "keep_positives": config["datasets"][dataset]["conditions"][subset][
                    "keep_positives"
                ],
            }
            for full, subset in selection.get("subsampled", {}).items()
        ]
        for dataset in selection["datasets"]
        if "subsampled" in selection and "encode_binary" in config["datasets"][dataset]
    }


def table2_runs():
    """The runs table 2 reads: those of paper.table2 (its across-seed rows) and both
    conditions of every subsampled pair (its all-vs-subsampled rows), each once."""
    runs = {tuple(run.values()): run for run in paper_runs("table2")}
    selection = paper_selection("table2")
    for dataset, pairs in table2_subsampled().items():
        settings = config["datasets"][dataset]
        for model in selection.get("models", settings["models"]):
            for pair in pairs:
                for condition in (pair["condition"], pair["subsampled"]):
                    for seed in range(settings["seeds"]):
                        run = dict(
                            dataset=dataset, model=model, condition=condition, seed=seed
                        )
                        runs.setdefault(tuple(run.values()), run)
    return list(runs.values())


def paper_run_files(target, pattern):
    """``pattern`` (a rule output with dataset/model/condition/seed wildcards) per run."""
    return [pattern.format(**run) for run in paper_runs(target)]


def paper_dataset_files(target, pattern):
    """Per-dataset files of a target's datasets."""
    return [
        pattern.format(dataset=dataset)
        for dataset in paper_selection(target)["datasets"]
    ]


def paper_reference(target):
    """The reference (no-prior) condition of a target's first dataset."""
    first = paper_selection(target)["datasets"][0]
    return config["datasets"][first]["evaluation"]["reference_condition"]


def paper_methods(target):
    """Attribution method shown per dataset: datasets.<name>.figures.method, or else the
    first of datasets.<name>.attribution.methods."""
    methods = {}
    for dataset in paper_selection(target)["datasets"]:
        settings = config["datasets"][dataset]
        if "figures" in settings:
            methods[dataset] = settings["figures"]["method"]
        else:
            methods[dataset] = next(iter(settings["attribution"]["methods"]))
    return methods


def paper_dataset_selection(target):
    """Per dataset of a target: the models and conditions it shows."""
    selection = paper_selection(target)
    return {
        dataset: {
            "models": selection.get("models", config["datasets"][dataset]["models"]),
            "conditions": selection.get(
                "conditions", list(config["datasets"][dataset]["conditions"])
            ),
        }
        for dataset in selection["datasets"]
    }


def paper_target_files(target):
    """What ``snakemake <target>`` builds: the papers' aggregate tables and figures under
    results/paper/, or the per-dataset tables and figures that show the same thing."""
    table = f"{RESULTS}/{{dataset}}/tables/{{table}}.md"
    figure = f"{RESULTS}/{{dataset}}/figures/{{model}}/{{figure}}.png"
    if target in ("table1", "table2", "table3", "table4"):
        return [f"{PAPER}/{target}.md", f"{PAPER}/{target}.tsv"]
    if target == "fig3":
        logos = f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/logos.png"
        return [f"{PAPER}/fig3.png", f"{PAPER}/fig3.tsv"] + [
            logos.format(**run) for run in paper_motif_runs("fig3")
        ]
    if target in ("fig2", "fig4", "fig5"):
        return [f"{PAPER}/{target}.png", f"{PAPER}/{target}.tsv"]
    if target == "fig_koo_ensemble":
        return [f"{PAPER}/{target}.{ext}" for ext in ("png", "md", "tsv")]
    # Per-dataset targets also get their numbers beside the paper's (rule paper_comparison).
    comparison = (
        [f"{PAPER}/{target}.md", f"{PAPER}/{target}.tsv"]
        if target in COMPARISON_TARGETS and comparison_datasets(target)
        else []
    )
    if target == "table_simulation":
        return comparison + [
            file
            for name in ("interpretability", "motif_auprc", "tests_vs_reference")
            for file in paper_dataset_files(target, table.replace("{table}", name))
        ]
    if target == "table_baselines":
        return comparison + [
            file
            for name in ("predictive", "tests_vs_reference")
            for file in paper_dataset_files(target, table.replace("{table}", name))
        ]
    figures = {
        "fig1": ["logos"],
        "fig1_koo": ["raw_vs_corrected", "angle_histograms"],
        "fig2_koo": ["logos"],
    }[target]
    return comparison + [
        figure.format(dataset=dataset, model=model, figure=name)
        for dataset, selection in paper_dataset_selection(target).items()
        for model in selection["models"]
        for name in figures
        # Cosine and interpretability against a ground truth: simulated datasets only.
        if name != "raw_vs_corrected" or dataset in SIMULATED_DATASETS
    ]


# The per-dataset paper targets whose numbers stand beside the paper's in
# results/paper/<target>.{md,tsv} (attrprior.scorecard.TARGET_METRICS).
COMPARISON_TARGETS = ["table_simulation", "table_baselines", "fig1_koo"]


def comparison_datasets(target):
    """The attributed datasets of a per-dataset target (those with score tables)."""
    kind = "angles" if target == "fig1_koo" else "attributed"
    return [
        dataset
        for dataset in paper_selection(target)["datasets"]
        if kind in WORKFLOW_CONFIG.dataset_kinds(config["datasets"][dataset])
    ]


def paper_outputs():
    """The files of every paper target the configuration selects, and the scorecard."""
    targets = [
        output
        for target in config.get("paper", {})
        for output in paper_target_files(target)
    ]
    if not targets:
        return []
    return targets + [f"{PAPER}/scorecard.md", f"{PAPER}/scorecard.tsv"]


def scorecard_datasets():
    """The attributed datasets of every paper target (their scores test the claims)."""
    datasets = []
    for selection in config.get("paper", {}).values():
        for dataset in selection["datasets"]:
            attributed = "attributed" in WORKFLOW_CONFIG.dataset_kinds(
                config["datasets"][dataset]
            )
            if attributed and dataset not in datasets:
                datasets.append(dataset)
    return datasets


def scorecard_runs():
    """The runs whose test metrics and validation loss the scorecard reads: those of
    Table 1 and of the §8 baselines (table_baselines), each once."""
    runs = {}
    for target in ("table1", "table_baselines"):
        if target in config.get("paper", {}):
            for run in paper_runs(target):
                runs.setdefault(tuple(run.values()), run)
    return list(runs.values())


def scorecard_settings():
    """What the scorecard needs to know of the config (attrprior.scorecard.ScoreTables)."""
    datasets = config["datasets"]
    methods, reference, gc_excess = {}, {}, {}
    for name, settings in datasets.items():
        if "attribution" in settings:
            methods[name] = settings.get("figures", {}).get(
                "method", next(iter(settings["attribution"]["methods"]))
            )
        reference[name] = settings["evaluation"]["reference_condition"]
        if "single_motif" in settings:
            gc_excess[name] = settings["single_motif"].get("positive_gc_excess", 0.0)
    models = config["models"]
    return {
        "target_datasets": {
            target: list(selection["datasets"])
            for target, selection in config.get("paper", {}).items()
        },
        "methods": methods,
        "reference": reference,
        "activations": {
            name: model["activation"]
            for name, model in models.items()
            if "activation" in model
        },
        "architectures": {
            name: model["architecture"] for name, model in models.items()
        },
        "gc_excess": gc_excess,
        "paper_datasets": {
            name: settings["paper_dataset"]
            for name, settings in datasets.items()
            if "paper_dataset" in settings
        },
    }


# The splits whose positives each kind of inputs draws on, in order (simulated datasets):
# attributions explain test sequences; TF-MoDISco, as Tseng et al. run it on every positive
# they explained, takes the test positives first and then the others.
INPUT_SPLITS = {"attribution": ["test"], "motif": ["test", "valid", "train"]}
# The inputs every attribution run of a dataset explains (rules attribution_inputs and
# genomic_attribution_inputs, purpose "attribution").
ATTRIBUTION_INPUTS = f"{RESULTS}/{{dataset}}/data/attribution_inputs.npz"


def inputs_size(wildcards):
    """How many sequences the attribution or motif inputs hold."""
    if wildcards.purpose == "motif":
        return dataset_config(wildcards, "motifs")["n_sequences"]
    return dataset_config(wildcards, "attribution")["n_sequences"]


def motif_own_inputs(wildcards):
    """Whether TF-MoDISco gets its own DeepSHAP maps (motifs.n_sequences set)."""
    return "n_sequences" in dataset_config(wildcards, "motifs")


def motif_attributions(wildcards):
    """The maps TF-MoDISco runs on: the motif seed's own maps of the motif inputs
    (motifs.n_sequences), or that seed's attribution maps."""
    if motif_own_inputs(wildcards):
        return rules.motif_attributions.output.attributions
    seed = dataset_config(wildcards, "motifs")["seed"]
    return f"{RESULTS}/{wildcards.dataset}/attributions/{wildcards.model}/{wildcards.condition}/seed{seed}.npz"


def motif_attribution_settings(wildcards):
    """The attribution section with only the motifs' method (rule motif_attributions)."""
    settings = dict(dataset_config(wildcards, "attribution"))
    method = dataset_config(wildcards, "motifs")["method"]
    settings["methods"] = {method: settings["methods"][method]}
    return settings


def motif_inputs(wildcards):
    """The inputs of the maps TF-MoDISco runs on (sequences and gold-standard masks)."""
    purpose = "motif" if motif_own_inputs(wildcards) else "attribution"
    return f"{RESULTS}/{wildcards.dataset}/data/{purpose}_inputs.npz"


def planted_motifs(target):
    """Per simulated dataset of a target: the JASPAR IDs planted in its positives (billboard
    core motifs, or the single motif)."""
    planted = {}
    for dataset in paper_selection(target)["datasets"]:
        settings = config["datasets"][dataset]
        if "billboard" in settings:
            planted[dataset] = list(settings["billboard"]["core_motifs"])
        elif "single_motif" in settings:
            planted[dataset] = [settings["single_motif"]["motif"]]
    return planted


def paper_motif_runs(target):
    """(dataset, model, condition) of a motif target, as dicts."""
    return [
        dict(dataset=dataset, model=model, condition=condition)
        for dataset, selection in paper_dataset_selection(target).items()
        for model in selection["models"]
        for condition in selection["conditions"]
    ]


# Majdandzic et al.'s ensemble-difference analysis (datasets.<name>.ensemble; rules in
# rules/ensemble.smk).
ENSEMBLE_RUN = f"{RESULTS}/{{dataset}}/ensemble/{{model}}/{{condition}}/filters{{n_filters}}/seed{{seed}}"
ENSEMBLE_DIR = f"{RESULTS}/{{dataset}}/ensemble/{{model}}/{{condition}}"


def check_ensembles(config):
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


def ensemble_condition(dataset):
    """The condition an ensemble's members train under."""
    return dataset["ensemble"].get(
        "condition", dataset["evaluation"]["reference_condition"]
    )


def ensemble_method(wildcards):
    """The attribution method an ensemble compares."""
    return dataset_config(wildcards, "ensemble").get("method", "saliency")


def ensemble_attribution(wildcards):
    """The dataset's attribution section with the ensemble's method only (check_ensembles:
    one of the section's methods)."""
    attribution = dataset_config(wildcards, "attribution")
    method = ensemble_method(wildcards)
    return attribution | {"methods": {method: attribution["methods"][method]}}


def ensemble_members(dataset):
    """(n_filters, seed) of every member of a dataset's ensembles, in trial order."""
    ensemble = config["datasets"][dataset]["ensemble"]
    return [
        (n_filters, seed)
        for n_filters in ensemble["n_filters"]
        for seed in range(ensemble["models_per_filter"])
    ]


# Packed ensemble members (pack_seeds > 1): the members of one filter count trained together.
ENSEMBLE_PACK = f"{ENSEMBLE_DIR}/filters{{n_filters}}/pack_seeds{{first}}-{{last}}"


def packed_member_source(wildcards):
    """The pack directory that holds an ensemble member (rule unpack_ensemble_member)."""
    n_members = dataset_config(wildcards, "ensemble")["models_per_filter"]
    return pack_directory(wildcards, ENSEMBLE_PACK, n_members)


def ensemble_member_files(wildcards, name):
    """The file ``name`` (model.pt, maps.npz) of every member of one ensemble."""
    return [
        f"{ENSEMBLE_RUN}/{name}".format(
            dataset=wildcards.dataset,
            model=wildcards.model,
            condition=wildcards.condition,
            n_filters=n_filters,
            seed=seed,
        )
        for n_filters, seed in ensemble_members(wildcards.dataset)
    ]


def dataset_ensembles(dataset):
    """(dataset, model, condition) of every ensemble of a dataset, as dicts."""
    settings = config["datasets"][dataset]
    if "ensemble" not in settings:
        return []
    condition = ensemble_condition(settings)
    return [
        dict(dataset=dataset, model=model, condition=condition)
        for model in settings["ensemble"]["models"]
    ]


def ensemble_outputs(dataset):
    """The analysis tables of every ensemble of a dataset."""
    return [
        f"{ENSEMBLE_DIR}/{table}.tsv".format(**run)
        for run in dataset_ensembles(dataset)
        for table in ("summary", "by_angle", "members")
    ]


def paper_ensembles():
    """The ensembles (dataset_ensembles) of fig_koo_ensemble's datasets and models."""
    if "fig_koo_ensemble" not in config.get("paper", {}):
        return []
    return [
        run
        for dataset, selection in paper_dataset_selection("fig_koo_ensemble").items()
        for run in dataset_ensembles(dataset)
        if run["model"] in selection["models"]
    ]


def paper_ensemble_files(table):
    """The ensemble table ``table`` (summary, by_angle, members) of every ensemble of
    fig_koo_ensemble."""
    return [f"{ENSEMBLE_DIR}/{table}.tsv".format(**run) for run in paper_ensembles()]


check_ensembles(config)


# Published trained models (models.<name>.published_weights) take the place of training
# runs (rule import_published_model).
PUBLISHED_MODELS = [
    name for name, entry in config["models"].items() if "published_weights" in entry
]
TRAINED_MODELS = [name for name in config["models"] if name not in PUBLISHED_MODELS]
# Models whose seeds are trained in packs (pack_seeds > 1): the binary ones. Profile models
# keep a job per seed (attrprior.packing would train them one after another anyway).
PACKED_MODELS = [
    name
    for name in TRAINED_MODELS
    if config["pack_seeds"] > 1
    and config["models"][name]["architecture"] != "tseng_profile"
]


def is_github_source(source):
    """Whether models.<name>.published_weights names a GitHub file (else a local path)."""
    return isinstance(source, dict) and "github" in source


def published_weights_file(model, seed):
    """The weights file of one seed of a published model: a local file (absolute), or
    where rule download_published_weights puts a repository's file."""
    source = config["models"][model]["published_weights"]
    if is_github_source(source):
        return f"{DOWNLOADS}/published_weights/{model}/seed{seed}.h5"
    path = config_relative(["models", model, "published_weights"], source)
    return str(path).replace("{seed}", str(seed))


def published_weights_source(model, seed):
    """Where one seed's weights come from, as the checkpoint records it: the local file, or
    <repository>@<commit>:<path>."""
    if is_github_source(config["models"][model]["published_weights"]):
        return "{repository}@{commit}:{path}".format(
            **published_weights_download(model, seed)
        )
    return published_weights_file(model, seed)


def published_weights_download(model, seed):
    """Repository, commit, path, md5 and size of one seed's file of a published model kept
    on GitHub (md5 and size from the package's list,
    attrprior.keras_weights.published_weights_record)."""
    from attrprior.keras_weights import published_weights_record

    github = config["models"][model]["published_weights"]["github"]
    path = github["path"].replace("{seed}", str(seed))
    record = published_weights_record(github["repository"], github["commit"], path)
    return {
        "repository": github["repository"],
        "commit": github["commit"],
        "path": path,
        **record,
    }


def check_published_models(config):
    """Published models: Koo CNNs, in datasets that train nothing (every condition empty)
    and whose seeds all have a weights file; each error names the key."""
    for model in PUBLISHED_MODELS:
        architecture = config["models"][model]["architecture"]
        if architecture not in ("cnn_shallow", "cnn_deep"):
            raise ValueError(
                f"config key models.{model}.published_weights: only for cnn_shallow and "
                f"cnn_deep (Keras weights of Majdandzic et al.'s CNNs), not {architecture}"
            )
    for name, dataset in config["datasets"].items():
        published = [model for model in dataset["models"] if model in PUBLISHED_MODELS]
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
            name in GENOMIC_DATASETS
            and name not in REGION_DATASETS + PUBLISHED_DATASETS
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
                        published_weights_download(model, seed)
                    except KeyError as error:
                        raise ValueError(
                            f"config key models.{model}.published_weights: seed {seed} "
                            f"(datasets.{name}.seeds is {dataset['seeds']}): {error.args[0]}"
                        ) from None
                    continue
                path = Path(published_weights_file(model, seed))
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


# Once, in the main process: the GitHub files' md5 list comes with attrprior.keras_weights,
# which loads torch, and each cluster job parses the workflow again.
if not (workflow.remote_exec or workflow.subprocess_exec):
    check_published_models(config)
WORKFLOW_CONFIG.check_motifs(config)
WORKFLOW_CONFIG.check_paper_targets(config)
WORKFLOW_CONFIG.check_table2_options(config)
