"""Where every file of the workflow lives: the outputs of the rules and the inputs their
input functions give, built from the config (one definition per path, used by the rules'
outputs and input functions alike). Plain Python on plain dicts, so the paths are
unit-tested without running Snakemake (``tests/test_workflow_paths.py``); standard
library, PyYAML and Snakemake's ``expand`` (imported by the workflow at parse time).

Patterns keep Snakemake's wildcards in braces (``{dataset}``, ``{model}``, ...): they are
the rules' outputs, and :meth:`str.format` fills them for a run.
"""

from __future__ import annotations

from snakemake.io import expand

from attrprior.workflow.checks import SIMULATORS, TUNING_SEED_OFFSET, is_github_source, tuned_key
from attrprior.workflow.config_files import ConfigFiles
from attrprior.workflow.sources import (
    REFERENCE_FILES,
    external_parts,
    fastq_refs,
    footprint_refs,
    has_control,
    has_reads,
    profile_strands,
    task_external_refs,
)

# Keys of a single_motif section that say how models are trained and explained, not what
# is simulated: changing them does not re-simulate the dataset.
PROTOCOL_KEYS = ("fresh_training_batches", "evaluation")


TABLES = [
    "interpretability",
    "motif_auprc",
    "predictive",
    "angles",
    "tests_vs_reference",
    "tests_corrected_vs_raw",
]


FIGURES = ["metric_distributions", "raw_vs_corrected", "angle_histograms", "logos"]


# What stands in for a reference file the config leaves out (references.<assembly>).
OMITTED_REFERENCE_FILES = {
    "chrom_sizes": "fasta.chrom.sizes",
    "blacklist": "no_blacklist.bed",
}


GENOMIC_TABLES = ["predictive", "tests_vs_reference"]


# The splits whose positives each kind of inputs draws on, in order (simulated datasets):
# attributions explain test sequences; TF-MoDISco, as Tseng et al. run it on every positive
# they explained, takes the test positives first and then the others.
INPUT_SPLITS = {"attribution": ["test"], "motif": ["test", "valid", "train"]}


def seed_pack(seed, n_seeds, pack_size):
    """``(first, last)``: the pack of ``pack_size`` consecutive seeds, of ``0 … n_seeds−1``,
    that holds ``seed``."""
    if not 0 <= seed < n_seeds:
        raise ValueError(f"seed {seed} is not one of the dataset's seeds 0 … {n_seeds - 1}")
    first = seed // pack_size * pack_size
    return first, min(first + pack_size, n_seeds) - 1


def output_type_slug(output_type):
    """An ENCODE output type as a file name part: "replicated peaks" -> replicated_peaks
    (the schema allows no "_" in output types, so the slug reads back unambiguously)."""
    return output_type.replace(" ", "_")


class Paths:
    """The files of one workflow config.

    Parameters
    ----------
    config : dict
        The validated config (``config/schema.yaml``, with the defaults it fills in).
    config_files : ConfigFiles, optional
        The config files the config was read from: a relative path the config names is
        relative to the file that names it (default: none, relative to the working
        directory, as for ``--config`` values).

    Attributes
    ----------
    local_files : dict of str to Path
        ``external.<name>.path`` of each external file given as a local path, absolute;
        each one exists (an error names the key otherwise).
    chrom_aliases : dict of str to str
        ``chrom_aliases``, read from its file if it names one.
    """

    def __init__(self, config: dict, config_files: ConfigFiles | None = None) -> None:
        self.config = config
        self.config_files = config_files or ConfigFiles([])
        self.local_files = self.config_files.local_files(config)
        self.chrom_aliases = self.config_files.chrom_aliases(config)
        self.results = config["results"]
        self.downloads = config.get("downloads", "resources")
        self.datasets = list(config["datasets"])
        # Genomic datasets: genome-wide windows (encode_binary) or peak-centred regions
        # (encode_regions); the rest are simulated.
        self.window_datasets = self._datasets_with("encode_binary")
        self.region_datasets = self._datasets_with("encode_regions")
        # Datasets published as HDF5 splits (published_h5): trained as regions are.
        self.published_datasets = self._datasets_with("published_h5")
        self.genomic_datasets = (
            self.window_datasets + self.region_datasets + self.published_datasets
        )
        self.simulated_datasets = [
            name for name in self.datasets if name not in self.genomic_datasets
        ]
        # Billboard datasets read from a published draw (billboard.published), not simulated.
        self.published_billboards = [
            name
            for name in self.simulated_datasets
            if "published" in config["datasets"][name].get("billboard", {})
        ]
        # External tar archives and their members (external.<name>.members).
        external = config.get("external", {})
        self.archives = [name for name, entry in external.items() if "members" in entry]
        self.archive_members = sorted(
            {member for name in self.archives for member in external[name]["members"]}
        )
        # External FASTQ files to align (alignments given as {fastq: [...]}; rule
        # align_reads) and external BAMs (alignments given as {bam: [...]}; rule
        # index_external_bam).
        self.fastq_to_align = self._external_task_files(".fastq")
        self.external_bams = self._external_task_files(".bam")
        # Published trained models (models.<name>.published_weights) take the place of
        # training runs (rule import_published_model).
        models = config["models"]
        self.published_models = [
            name for name, entry in models.items() if "published_weights" in entry
        ]
        self.trained_models = [name for name in models if name not in self.published_models]
        # Models whose seeds are trained in packs (pack_seeds > 1): every trained model.
        self.packed_models = list(self.trained_models) if config["pack_seeds"] > 1 else []
        runs = f"{self.results}/{{dataset}}/models/{{model}}/{{condition}}"
        # Packed seeds (config key pack_seeds): rule train_model_pack trains seeds first …
        # last of a dataset × model × condition together into ``pack``; unpack_packed_seed
        # copies each seed out.
        self.pack = f"{runs}/pack_seeds{{first}}-{{last}}"
        # The grid runs of a condition whose weight is tuned (rules train_tuning_run,
        # choose_weight).
        self.tuning_run = f"{runs}/tuning/weight{{weight_index}}/seed{{seed}}"
        # The inputs every attribution run of a dataset explains (rules attribution_inputs
        # and genomic_attribution_inputs, purpose "attribution").
        self.attribution_inputs = f"{self.results}/{{dataset}}/data/attribution_inputs.npz"
        # Majdandzic et al.'s ensemble-difference analysis (datasets.<name>.ensemble; rules
        # in rules/ensemble.smk); packed members (pack_seeds > 1): the members of one filter
        # count trained together.
        self.ensemble_dir = f"{self.results}/{{dataset}}/ensemble/{{model}}/{{condition}}"
        self.ensemble_run = f"{self.ensemble_dir}/filters{{n_filters}}/seed{{seed}}"
        self.ensemble_pack = (
            f"{self.ensemble_dir}/filters{{n_filters}}/pack_seeds{{first}}-{{last}}"
        )

    def _datasets_with(self, section: str) -> list[str]:
        return [name for name, entry in self.config["datasets"].items() if section in entry]

    def _external_task_files(self, suffix: str) -> list[str]:
        """The external files of every task of the window datasets whose role ends with
        ``suffix``, sorted, each once."""
        return sorted(
            {
                ref
                for dataset in self.window_datasets
                for entry in self.genomic_source(dataset)["experiments"].values()
                for role, ref in task_external_refs(entry)
                if role.endswith(suffix)
            }
        )

    def dataset_config(self, wildcards, key):
        """The ``key`` section of the dataset named by ``wildcards.dataset``."""
        return self.config["datasets"][wildcards.dataset][key]

    def simulation_config(self, wildcards):
        """``{simulator: settings}``: only the simulator section, without its protocol keys, so
        that editing a dataset's conditions, training or evaluation does not re-simulate it (and
        retrain everything)."""
        entry = self.config["datasets"][wildcards.dataset]
        return {
            name: {key: value for key, value in entry[name].items() if key not in PROTOCOL_KEYS}
            for name in SIMULATORS
            if name in entry
        }

    def single_motif_settings(self, wildcards, drop=()):
        """A single_motif section (with its protocol keys but those in ``drop``), or None for
        other datasets."""
        section = self.config["datasets"][wildcards.dataset].get("single_motif")
        if section is None:
            return None
        return {key: value for key, value in section.items() if key not in drop}

    def reference_run(self, wildcards, pattern):
        """``pattern`` for the reference-condition run with the same dataset, model and seed."""
        return pattern.format(
            dataset=wildcards.dataset,
            model=wildcards.model,
            condition=self.dataset_config(wildcards, "evaluation")["reference_condition"],
            seed=wildcards.seed,
        )

    def pack_directory(self, wildcards, pattern, n_seeds):
        """``pattern`` for the pack of ``n_seeds`` seeds that holds ``wildcards.seed``."""
        first, last = seed_pack(int(wildcards.seed), n_seeds, self.config["pack_seeds"])
        return pattern.format(**{**dict(wildcards.items()), "first": first, "last": last})

    def packed_seed_source(self, wildcards):
        """The pack directory that holds the seed's trained files (rule unpack_packed_seed)."""
        return self.pack_directory(wildcards, self.pack, self.dataset_config(wildcards, "seeds"))

    def pack_seeds(self, wildcards):
        """The seeds a pack trains (rule train_model_pack)."""
        return list(range(int(wildcards.first), int(wildcards.last) + 1))

    def tuning_run_condition(self, wildcards):
        """The conditions entry of one grid run: the tuned key set to its grid weight."""
        entry = self.dataset_config(wildcards, "conditions")[wildcards.condition]
        key = tuned_key(entry)
        return {**entry, key: entry[key]["grid"][int(wildcards.weight_index)]}

    def tuning_runs(self, wildcards, pattern):
        """``pattern`` for every grid weight × tuning seed of a tuned condition (fields
        dataset, model, condition, weight_index, weight, seed)."""
        entry = self.dataset_config(wildcards, "conditions")[wildcards.condition]
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

    def run_outputs(self, pattern, dataset):
        """``pattern`` expanded over every model × condition × seed of ``dataset``."""
        settings = self.config["datasets"][dataset]
        return expand(
            pattern,
            dataset=dataset,
            model=settings["models"],
            condition=list(settings["conditions"]),
            seed=range(settings["seeds"]),
        )

    def genomic_source(self, dataset):
        """The ``encode_binary`` section of a genomic dataset."""
        return self.config["datasets"][dataset]["encode_binary"]

    def reference_path(self, assembly, kind):
        """Local path of a reference file (``kind`` in REFERENCE_FILES) of ``assembly``: the
        download (ENCODE accession or alias), the external file, or, where the config leaves
        it out, the chromosome sizes read from the FASTA (rule fasta_chrom_sizes) or an empty
        blacklist (rule empty_blacklist)."""
        value = self.config["references"][assembly].get(kind)
        if value is None:
            return f"{self.downloads}/{assembly}/{OMITTED_REFERENCE_FILES[kind]}"
        if isinstance(value, dict):
            return self.external_path(value["external"])
        return f"{self.downloads}/{assembly}/reference/{REFERENCE_FILES[kind]}"

    def recorded_reference_files(self, assembly):
        """The reference files of ``assembly`` that are downloaded or external: each has a
        record (md5, size) for the dataset's lock."""
        return [
            self.reference_path(assembly, kind)
            for kind in REFERENCE_FILES
            if kind in self.config["references"][assembly]
        ]

    def genome_array(self, assembly):
        """The encoded genome of ``assembly``: ``{"genome": .npy codes, "genome_index": .json}``."""
        return {
            "genome": f"{self.downloads}/{assembly}/genome.npy",
            "genome_index": f"{self.downloads}/{assembly}/genome.json",
        }

    def encode_path(self, assembly, accession, extension):
        """Local path of a downloaded ENCODE file."""
        return f"{self.downloads}/{assembly}/encode/{accession}.{extension}"

    def external_path(self, ref):
        """Local path of an external file (<name>, rule download_external) or archive member
        (<name>/<member>, rule extract_external_member)."""
        name, _, member = external_parts(ref)
        if member:
            return f"{self.downloads}/external/{name}.members/{member}"
        return f"{self.downloads}/external/{name}"

    def archive_member_pattern(self, name, member):
        """The pattern of ``member`` in archive ``name``, or an error naming the config key
        (the wildcard constraints allow a member of another archive)."""
        members = self.config["external"][name]["members"]
        if member not in members:
            raise ValueError(
                f"config key external.{name}.members: no member {member!r} (members: "
                f"{sorted(members)})"
            )
        return members[member]

    def task_peaks(self, assembly, entry, role):
        """Local path of the ``role`` peaks (optimal_peaks or relaxed_peaks) of an experiments
        entry: by file accession, by output type of its experiment (rule
        download_experiment_file), or from external."""
        value = entry[role]
        if isinstance(value, str):
            return self.encode_path(assembly, value, "bed.gz")
        if "external" in value:
            return self.external_path(value["external"])
        return self.peak_source_path(assembly, {"experiment": entry["experiment"], **value})

    def peak_files(self, wildcards, role):
        """The ``role`` peaks (optimal_peaks or relaxed_peaks) of every task that has them, in
        task order (relaxed_peaks are optional)."""
        source = self.genomic_source(wildcards.dataset)
        return [
            self.task_peaks(source["assembly"], entry, role)
            for entry in source["experiments"].values()
            if role in entry
        ]

    def experiment_alignments_dir(self, assembly, experiment, role, output_type):
        """The directory rule download_experiment_alignments fills with one BAM (and index)
        per biological replicate of ``experiment`` (role signal) or of its first possible
        control (role control)."""
        slug = output_type_slug(output_type)
        return f"{self.downloads}/{assembly}/experiments/{experiment}/{role}_{slug}"

    def task_alignments(self, assembly, entry, key):
        """The BAMs of an experiments entry's ``key`` (alignments or control_alignments): a
        path per file accession, or, named by output type, one directory of the replicates'
        BAMs. A named control's files are that experiment's own (role signal, shared by every
        task with that control); otherwise control_alignments are those of the first possible
        control of the entry's experiment, read from its JSON (role control)."""
        value = entry[key]
        if isinstance(value, list):
            return [self.encode_path(assembly, accession, "bam") for accession in value]
        if "bam" in value:
            return [self.external_path(ref) for ref in value["bam"]]
        if "fastq" in value:
            return [self.aligned_bam(assembly, ref) for ref in value["fastq"]]
        if key == "alignments":
            experiment, role = entry["experiment"], "signal"
        elif "control" in entry:
            experiment, role = entry["control"], "signal"
        else:
            experiment, role = entry["experiment"], "control"
        return [self.experiment_alignments_dir(assembly, experiment, role, value["output_type"])]

    def aligned_bam(self, assembly, ref):
        """The BAM of an external FASTQ (ref) aligned to ``assembly`` (rule align_reads)."""
        return f"{self.downloads}/{assembly}/aligned/{ref}.bam"

    def bowtie2_prefix(self, assembly):
        """The prefix of the bowtie2 index of ``assembly`` (rule bowtie2_index)."""
        return f"{self.downloads}/{assembly}/bowtie2/genome"

    def bowtie2_index_files(self, assembly):
        """The six files of the bowtie2 index of ``assembly``, as
        attrprior.genomics.alignment.bowtie2_index_files names them."""
        suffixes = (".1.bt2", ".2.bt2", ".3.bt2", ".4.bt2", ".rev.1.bt2", ".rev.2.bt2")
        return [self.bowtie2_prefix(assembly) + suffix for suffix in suffixes]

    def alignment_files(self, wildcards):
        """BAM files (or a directory of them) of one task (``wildcards.task``), or of its control
        when the track is one."""
        source = self.genomic_source(wildcards.dataset)
        entry = source["experiments"][wildcards.task]
        key = "control_alignments" if wildcards.track == "control" else "alignments"
        return self.task_alignments(source["assembly"], entry, key)

    def alignment_indexes(self, wildcards):
        """Indexes of the BAMs named by accession (rule index_bam), aligned here (rule
        align_reads writes them) or external (rule index_external_bam); a directory of BAMs
        holds its own."""
        return [
            f"{bam}.bai"
            for bam in self.alignment_files(wildcards)
            if bam.endswith(".bam") or bam.startswith(f"{self.downloads}/external/")
        ]

    def track_outputs(self, dataset):
        """bigWig tracks built from the alignments of every task that has them (5' counts per
        strand or unstranded, controls)."""
        outputs = []
        for task, entry in self.genomic_source(dataset)["experiments"].items():
            tracks = ["signal"] + (["control"] if "control_alignments" in entry else [])
            if "alignments" in entry:
                outputs += [
                    bw for track in tracks for bw in self.task_bigwigs(dataset, task, track)
                ]
        return outputs

    def profile_tasks(self, dataset):
        """Tasks of a genomic dataset that have read tracks (alignments or signal bigWigs)."""
        experiments = self.genomic_source(dataset)["experiments"]
        return [task for task, entry in experiments.items() if has_reads(entry)]

    def task_bigwigs(self, dataset, task, track):
        """The bigWigs (pos, neg; or unstranded) of a task's signal or control track: built
        from its alignments (rule profile_tracks), or given by external (signal,
        control_signal)."""
        source = self.genomic_source(dataset)
        entry = source["experiments"][task]
        strands = profile_strands(source)
        key = "signal" if track == "signal" else "control_signal"
        if key in entry:
            return [self.external_path(entry[key][strand]) for strand in strands]
        tracks = f"{self.results}/{dataset}/data/tracks"
        return [f"{tracks}/{task}.{track}.{strand}.bigWig" for strand in strands]

    def profile_inputs(self, wildcards):
        """Inputs of profile_examples: genome, summits (optimal peaks) and tracks per task."""
        dataset = wildcards.dataset
        source = self.genomic_source(dataset)
        tasks = self.profile_tasks(dataset)
        with_control = all(has_control(source["experiments"][t]) for t in tasks)
        return {
            **self.genome_array(source["assembly"]),
            "peaks": [
                self.task_peaks(source["assembly"], source["experiments"][t], "optimal_peaks")
                for t in tasks
            ],
            "signal": [bw for t in tasks for bw in self.task_bigwigs(dataset, t, "signal")],
            "control": (
                [bw for t in tasks for bw in self.task_bigwigs(dataset, t, "control")]
                if with_control
                else []
            ),
        }

    def region_source(self, dataset):
        """The ``encode_regions`` section of a genomic dataset."""
        return self.config["datasets"][dataset]["encode_regions"]

    def peak_source_path(self, assembly, source):
        """Local path of a peak_source: by file accession, or by experiment and output type
        (resolved from the experiment's JSON by rule download_experiment_file)."""
        if "peaks" in source:
            return self.encode_path(assembly, source["peaks"], "bed.gz")
        slug = output_type_slug(source["output_type"])
        return f"{self.downloads}/{assembly}/experiments/{source['experiment']}/{slug}.bed.gz"

    def region_inputs(self, wildcards):
        """Inputs of task_regions: reference files, ChIP and DNase peaks, the genome array."""
        source = self.region_source(wildcards.dataset)
        assembly = source["assembly"]
        return {
            "chrom_sizes": self.reference_path(assembly, "chrom_sizes"),
            "blacklist": self.reference_path(assembly, "blacklist"),
            "chip": self.peak_source_path(assembly, source["chip"]),
            "dnase": self.peak_source_path(assembly, source["dnase"]),
            **self.genome_array(assembly),
        }

    def downloaded_files(self, dataset):
        """Every file (or directory of replicate files) a genomic dataset downloads (reference
        files, peaks, alignments), once each; each has a record at ``<path>.download.json``.
        """
        if dataset in self.published_datasets:
            ref = self.config["datasets"][dataset]["published_h5"]["file"]
            # An archive member is recorded with its archive, as elsewhere.
            archive = external_parts(ref)[0]
            return list(dict.fromkeys([self.external_path(archive), self.external_path(ref)]))
        if dataset in self.region_datasets:
            source = self.region_source(dataset)
            assembly = source["assembly"]
            return self.recorded_reference_files(assembly) + [
                self.peak_source_path(assembly, source[kind]) for kind in ("chip", "dnase")
            ]
        source = self.genomic_source(dataset)
        assembly = source["assembly"]
        files = self.recorded_reference_files(assembly)
        for entry in source["experiments"].values():
            files += [
                self.task_peaks(assembly, entry, role)
                for role in ("optimal_peaks", "relaxed_peaks")
                if role in entry
            ]
            for key in ("alignments", "control_alignments"):
                # Reads to align are downloaded as external files (below), not as BAMs.
                if key in entry and not fastq_refs(entry[key]):
                    files += self.task_alignments(assembly, entry, key)
        files += [self.external_path(ref) for ref in self.dataset_external_refs(source)]
        return list(dict.fromkeys(files))

    def dataset_external_refs(self, source):
        """Every external file of an encode_binary section: the tasks' external peaks, bigWigs
        and reads to align, the footprints, and the archive of each archive member (so the
        lock records the archive's md5 too)."""
        refs = [
            ref for entry in source["experiments"].values() for _, ref in task_external_refs(entry)
        ]
        refs += footprint_refs(source)
        # An archive member's ref is <archive>/<member>.
        archives = [name for name, _, member in map(external_parts, refs) if member]
        return list(dict.fromkeys(archives + refs))

    def is_profile_dataset(self, dataset):
        """Whether a dataset's models are profile models (tseng_profile)."""
        return all(
            self.config["models"][model]["architecture"] == "tseng_profile"
            for model in self.config["datasets"][dataset]["models"]
        )

    def genomic_attribution_data(self, wildcards):
        """Inputs of genomic_attribution_inputs: the examples (genome array and labels, or the
        profile examples of a profile dataset), the optimal peaks of every task and, when the
        dataset names them, its footprints and (simulated genomes) planted motif instances.
        """
        dataset = wildcards.dataset
        source = self.genomic_source(dataset)
        if self.is_profile_dataset(dataset):
            examples = {"profile_examples": f"{self.results}/{dataset}/data/profile_examples"}
        else:
            examples = {
                **self.genome_array(source["assembly"]),
                "labels": f"{self.results}/{dataset}/data/labels.npz",
            }
        return {
            **examples,
            "peaks": self.peak_files(wildcards, "optimal_peaks"),
            "footprints": [self.external_path(ref) for ref in footprint_refs(source)],
            "motif_instances": (
                [source["truth"]["motif_instances"]]
                if "motif_instances" in source.get("truth", {})
                else []
            ),
        }

    def training_data(self, wildcards):
        """Inputs of train_model: a simulated dataset, peak-centred regions, a genome array and
        its window labels (with the tasks' optimal peaks when the condition has keep_positives)
        or, for profile models (tseng_profile), the dataset's summit-centred profile examples
        (rule profile_examples, which records the peaks' signal ranks)."""
        if wildcards.dataset in self.region_datasets + self.published_datasets:
            return {"regions": f"{self.results}/{wildcards.dataset}/data/regions.npz"}
        if self.config["models"][wildcards.model]["architecture"] == "tseng_profile":
            return {"profile_examples": f"{self.results}/{wildcards.dataset}/data/profile_examples"}
        if wildcards.dataset in self.window_datasets:
            condition = self.dataset_config(wildcards, "conditions")[wildcards.condition]
            return {
                **self.genome_array(self.genomic_source(wildcards.dataset)["assembly"]),
                "labels": f"{self.results}/{wildcards.dataset}/data/labels.npz",
                # keep_positives ranks each task's optimal peaks by signal (task order).
                "peaks": (
                    self.peak_files(wildcards, "optimal_peaks")
                    if "keep_positives" in condition
                    else []
                ),
            }
        return {"dataset": f"{self.results}/{wildcards.dataset}/data/dataset.npz"}

    def inputs_size(self, wildcards):
        """How many sequences the attribution or motif inputs hold."""
        if wildcards.purpose == "motif":
            return self.dataset_config(wildcards, "motifs")["n_sequences"]
        return self.dataset_config(wildcards, "attribution")["n_sequences"]

    def motif_own_inputs(self, wildcards):
        """Whether TF-MoDISco gets its own DeepSHAP maps (motifs.n_sequences set)."""
        return "n_sequences" in self.dataset_config(wildcards, "motifs")

    def motif_attribution_settings(self, wildcards):
        """The attribution section with only the motifs' method (rule motif_attributions)."""
        settings = dict(self.dataset_config(wildcards, "attribution"))
        method = self.dataset_config(wildcards, "motifs")["method"]
        settings["methods"] = {method: settings["methods"][method]}
        return settings

    def motif_inputs(self, wildcards):
        """The inputs of the maps TF-MoDISco runs on (sequences and gold-standard masks)."""
        purpose = "motif" if self.motif_own_inputs(wildcards) else "attribution"
        return f"{self.results}/{wildcards.dataset}/data/{purpose}_inputs.npz"

    def ensemble_method(self, wildcards):
        """The attribution method an ensemble compares."""
        return self.dataset_config(wildcards, "ensemble").get("method", "saliency")

    def ensemble_attribution(self, wildcards):
        """The dataset's attribution section with the ensemble's method only (check_ensembles:
        one of the section's methods)."""
        attribution = self.dataset_config(wildcards, "attribution")
        method = self.ensemble_method(wildcards)
        return attribution | {"methods": {method: attribution["methods"][method]}}

    def ensemble_members(self, dataset):
        """(n_filters, seed) of every member of a dataset's ensembles, in trial order."""
        ensemble = self.config["datasets"][dataset]["ensemble"]
        return [
            (n_filters, seed)
            for n_filters in ensemble["n_filters"]
            for seed in range(ensemble["models_per_filter"])
        ]

    def packed_member_source(self, wildcards):
        """The pack directory that holds an ensemble member (rule unpack_ensemble_member)."""
        n_members = self.dataset_config(wildcards, "ensemble")["models_per_filter"]
        return self.pack_directory(wildcards, self.ensemble_pack, n_members)

    def ensemble_member_files(self, wildcards, name):
        """The file ``name`` (model.pt, maps.npz) of every member of one ensemble."""
        return [
            f"{self.ensemble_run}/{name}".format(
                dataset=wildcards.dataset,
                model=wildcards.model,
                condition=wildcards.condition,
                n_filters=n_filters,
                seed=seed,
            )
            for n_filters, seed in self.ensemble_members(wildcards.dataset)
        ]

    def published_weights_file(self, model, seed):
        """The weights file of one seed of a published model: a local file (absolute), or
        where rule download_published_weights puts a repository's file."""
        source = self.config["models"][model]["published_weights"]
        if is_github_source(source):
            return f"{self.downloads}/published_weights/{model}/seed{seed}.h5"
        path = self.config_files.relative(["models", model, "published_weights"], source)
        return str(path).replace("{seed}", str(seed))

    def published_weights_source(self, model, seed):
        """Where one seed's weights come from, as the checkpoint records it: the local file, or
        <repository>@<commit>:<path>."""
        if is_github_source(self.config["models"][model]["published_weights"]):
            return "{repository}@{commit}:{path}".format(
                **self.published_weights_download(model, seed)
            )
        return self.published_weights_file(model, seed)

    def published_weights_download(self, model, seed):
        """Repository, commit, path, md5 and size of one seed's file of a published model kept
        on GitHub (md5 and size from the package's list,
        attrprior.genomics.keras_weights.published_weights_record)."""
        from attrprior.genomics.keras_weights import published_weights_record

        github = self.config["models"][model]["published_weights"]["github"]
        path = github["path"].replace("{seed}", str(seed))
        record = published_weights_record(github["repository"], github["commit"], path)
        return {
            "repository": github["repository"],
            "commit": github["commit"],
            "path": path,
            **record,
        }

    def motif_seed_attributions(self, wildcards) -> str:
        """The attribution maps of the motif seed (``motifs.seed``) of one dataset, model
        and condition: what TF-MoDISco runs on without maps of its own."""
        seed = self.dataset_config(wildcards, "motifs")["seed"]
        run = f"{wildcards.dataset}/attributions/{wildcards.model}/{wildcards.condition}"
        return f"{self.results}/{run}/seed{seed}.npz"
