"""The paper targets: which datasets each target needs and what each dataset can give,
the check of a config's paper section, and :class:`Targets`, the workflow's paths
(:class:`attrprior.workflow.paths.Paths`) with what each target builds (``all``, the
paper targets, the scorecard, the ensembles). Standard library, PyYAML and Snakemake's
``expand`` (imported by the workflow at parse time)."""

from __future__ import annotations

from snakemake.io import expand

from attrprior.workflow.checks import SIMULATORS, check_subsampled, ensemble_condition
from attrprior.workflow.config_files import ConfigFiles
from attrprior.workflow.paths import FIGURES, GENOMIC_TABLES, TABLES, Paths

# Named targets for the papers' tables and figures (rules/paper.smk; docs/targets.md lists
# what each shows) -> the kind of dataset each accepts (dataset_kinds). config key
# paper.<target> lists the datasets (and optionally models and conditions) each target draws
# on; the schema lists the same target names.
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


# The per-dataset paper targets whose numbers stand beside the paper's in
# results/paper/<target>.{md,tsv} (attrprior.scorecard.TARGET_METRICS).
COMPARISON_TARGETS = ["table_simulation", "table_baselines", "fig1_koo"]


class Targets(Paths):
    """The files of one workflow config (:class:`attrprior.workflow.paths.Paths`) and what
    each target builds: ``all``, the paper targets, the scorecard, the ensembles.

    Parameters are those of :class:`~attrprior.workflow.paths.Paths`.
    """

    def __init__(self, config: dict, config_files: ConfigFiles | None = None) -> None:
        super().__init__(config, config_files)
        self.paper = f"{self.results}/paper"

    def genomic_outputs(self, dataset):
        """Labels, tracks, download lock, predictive table (and label agreement) of a dataset."""
        if dataset in self.region_datasets + self.published_datasets:
            outputs = [
                f"{self.results}/{dataset}/data/downloads.tsv",
                f"{self.results}/{dataset}/data/regions_summary.tsv",
                *expand(
                    f"{self.results}/{dataset}/tables/{{table}}.{{ext}}",
                    table=GENOMIC_TABLES,
                    ext=["tsv", "md"],
                ),
            ]
            if "attribution" in self.config["datasets"][dataset]:
                outputs.append(f"{self.results}/{dataset}/scores/pooled.tsv")
                outputs += expand(
                    f"{self.results}/{dataset}/figures/{{model}}/angle_histograms.png",
                    model=self.config["datasets"][dataset]["models"],
                )
            return outputs
        outputs = [
            f"{self.results}/{dataset}/data/downloads.tsv",
            f"{self.results}/{dataset}/data/labels_summary.tsv",
            *expand(
                f"{self.results}/{dataset}/tables/{{table}}.{{ext}}",
                table=GENOMIC_TABLES,
                ext=["tsv", "md"],
            ),
            *self.track_outputs(dataset),
        ]
        if "truth" in self.genomic_source(dataset):
            outputs += expand(
                f"{self.results}/{dataset}/tables/label_agreement.{{ext}}", ext=["tsv", "md"]
            )
        if "profile" in self.genomic_source(dataset) and self.profile_tasks(dataset):
            outputs.append(f"{self.results}/{dataset}/data/profile_examples.tsv")
        if "attribution" in self.config["datasets"][dataset]:
            outputs.append(f"{self.results}/{dataset}/scores/pooled.tsv")
        return outputs

    def run_files(self, dataset):
        """Every run's training outputs, and its attribution maps where the dataset is explained.

        Requested by ``all`` so that a plain rerun rebuilds one that is missing: Snakemake
        otherwise skips a missing intermediate file whose downstream results exist (e.g. a model
        deleted by ``--forcerun`` whose training was then killed), and the rebuilt file's newer
        time then reruns what depends on it.
        """
        settings = self.config["datasets"][dataset]
        patterns = [
            f"{self.results}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/{name}"
            for name in ("model.pt", "history.tsv", "test_metrics.tsv")
        ]
        if "attribution" in settings:
            patterns.append(
                f"{self.results}/{{dataset}}/attributions/{{model}}/{{condition}}/seed{{seed}}.npz"
            )
        return [path for pattern in patterns for path in self.run_outputs(pattern, dataset)]

    def all_outputs(self):
        """Every table and figure of every dataset, every run's model and attribution maps, and
        the paper targets the config selects."""
        outputs = expand(
            f"{self.results}/{{dataset}}/tables/{{table}}.{{ext}}",
            dataset=self.simulated_datasets,
            table=TABLES,
            ext=["tsv", "md"],
        )
        for dataset in self.genomic_datasets:
            outputs += self.genomic_outputs(dataset)
        outputs += expand(
            f"{self.downloads}/external/{{name}}", name=list(self.config.get("external", {}))
        )
        for dataset in self.simulated_datasets:
            outputs += expand(
                f"{self.results}/{dataset}/figures/{{model}}/{{figure}}.png",
                model=self.config["datasets"][dataset]["models"],
                figure=FIGURES,
            )
        for dataset in self.config["datasets"]:
            outputs += self.run_files(dataset) + self.ensemble_outputs(dataset)
        return outputs + self.paper_outputs()

    def paper_selection(self, target):
        """config key paper.<target>, or an error that says how to ask for the target."""
        if target not in self.config.get("paper", {}):
            raise ValueError(
                f"target {target} needs config key paper.{target} (its datasets); this "
                "configuration has none. config/paper.yaml sets every target; see config/README.md"
            )
        return self.config["paper"][target]

    def paper_runs(self, target):
        """Every (dataset, model, condition, seed) a target draws on, as dicts."""
        selection = self.paper_selection(target)
        runs = []
        for dataset in selection["datasets"]:
            settings = self.config["datasets"][dataset]
            for model in selection.get("models", settings["models"]):
                for condition in selection.get("conditions", list(settings["conditions"])):
                    for seed in range(settings["seeds"]):
                        runs.append(
                            dict(dataset=dataset, model=model, condition=condition, seed=seed)
                        )
        return runs

    def table2_subsampled(self):
        """paper.table2.subsampled per dataset it applies to (the encode_binary datasets of
        table2): {dataset: [{"condition", "subsampled", "keep_positives"}, ...]}, one entry per
        pair; empty without the key."""
        selection = self.paper_selection("table2")
        return {
            dataset: [
                {
                    "condition": full,
                    "subsampled": subset,
                    "keep_positives": self.config["datasets"][dataset]["conditions"][subset][
                        "keep_positives"
                    ],
                }
                for full, subset in selection.get("subsampled", {}).items()
            ]
            for dataset in selection["datasets"]
            if "subsampled" in selection and "encode_binary" in self.config["datasets"][dataset]
        }

    def table2_runs(self):
        """The runs table 2 reads: those of paper.table2 (its across-seed rows) and both
        conditions of every subsampled pair (its all-vs-subsampled rows), each once."""
        runs = {tuple(run.values()): run for run in self.paper_runs("table2")}
        selection = self.paper_selection("table2")
        for dataset, pairs in self.table2_subsampled().items():
            settings = self.config["datasets"][dataset]
            for model in selection.get("models", settings["models"]):
                for pair in pairs:
                    for condition in (pair["condition"], pair["subsampled"]):
                        for seed in range(settings["seeds"]):
                            run = dict(dataset=dataset, model=model, condition=condition, seed=seed)
                            runs.setdefault(tuple(run.values()), run)
        return list(runs.values())

    def paper_run_files(self, target, pattern):
        """``pattern`` (a rule output with dataset/model/condition/seed wildcards) per run."""
        return [pattern.format(**run) for run in self.paper_runs(target)]

    def paper_dataset_files(self, target, pattern):
        """Per-dataset files of a target's datasets."""
        return [
            pattern.format(dataset=dataset) for dataset in self.paper_selection(target)["datasets"]
        ]

    def paper_reference(self, target):
        """The reference (no-prior) condition of a target's first dataset."""
        first = self.paper_selection(target)["datasets"][0]
        return self.config["datasets"][first]["evaluation"]["reference_condition"]

    def paper_methods(self, target):
        """Attribution method shown per dataset: datasets.<name>.figures.method, or else the
        first of datasets.<name>.attribution.methods."""
        methods = {}
        for dataset in self.paper_selection(target)["datasets"]:
            settings = self.config["datasets"][dataset]
            if "figures" in settings:
                methods[dataset] = settings["figures"]["method"]
            else:
                methods[dataset] = next(iter(settings["attribution"]["methods"]))
        return methods

    def paper_dataset_selection(self, target):
        """Per dataset of a target: the models and conditions it shows."""
        selection = self.paper_selection(target)
        return {
            dataset: {
                "models": selection.get("models", self.config["datasets"][dataset]["models"]),
                "conditions": selection.get(
                    "conditions", list(self.config["datasets"][dataset]["conditions"])
                ),
            }
            for dataset in selection["datasets"]
        }

    def paper_target_files(self, target):
        """What ``snakemake <target>`` builds: the papers' aggregate tables and figures under
        results/paper/, or the per-dataset tables and figures that show the same thing."""
        table = f"{self.results}/{{dataset}}/tables/{{table}}.md"
        figure = f"{self.results}/{{dataset}}/figures/{{model}}/{{figure}}.png"
        if target in ("table1", "table2", "table3", "table4"):
            return [f"{self.paper}/{target}.md", f"{self.paper}/{target}.tsv"]
        if target == "fig3":
            logos = f"{self.results}/{{dataset}}/motifs/{{model}}/{{condition}}/logos.png"
            return [f"{self.paper}/fig3.png", f"{self.paper}/fig3.tsv"] + [
                logos.format(**run) for run in self.paper_motif_runs("fig3")
            ]
        if target in ("fig2", "fig4", "fig5"):
            return [f"{self.paper}/{target}.png", f"{self.paper}/{target}.tsv"]
        if target == "fig_koo_ensemble":
            return [f"{self.paper}/{target}.{ext}" for ext in ("png", "md", "tsv")]
        # Per-dataset targets also get their numbers beside the paper's (rule paper_comparison).
        comparison = (
            [f"{self.paper}/{target}.md", f"{self.paper}/{target}.tsv"]
            if target in COMPARISON_TARGETS and self.comparison_datasets(target)
            else []
        )
        if target == "table_simulation":
            return comparison + [
                file
                for name in ("interpretability", "motif_auprc", "tests_vs_reference")
                for file in self.paper_dataset_files(target, table.replace("{table}", name))
            ]
        if target == "table_baselines":
            return comparison + [
                file
                for name in ("predictive", "tests_vs_reference")
                for file in self.paper_dataset_files(target, table.replace("{table}", name))
            ]
        figures = {
            "fig1": ["logos"],
            "fig1_koo": ["raw_vs_corrected", "angle_histograms"],
            "fig2_koo": ["logos"],
        }[target]
        return comparison + [
            figure.format(dataset=dataset, model=model, figure=name)
            for dataset, selection in self.paper_dataset_selection(target).items()
            for model in selection["models"]
            for name in figures
            # Cosine and interpretability against a ground truth: simulated datasets only.
            if name != "raw_vs_corrected" or dataset in self.simulated_datasets
        ]

    def comparison_datasets(self, target):
        """The attributed datasets of a per-dataset target (those with score tables)."""
        kind = "angles" if target == "fig1_koo" else "attributed"
        return [
            dataset
            for dataset in self.paper_selection(target)["datasets"]
            if kind in dataset_kinds(self.config["datasets"][dataset])
        ]

    def paper_outputs(self):
        """The files of every paper target the configuration selects, and the scorecard."""
        targets = [
            output
            for target in self.config.get("paper", {})
            for output in self.paper_target_files(target)
        ]
        if not targets:
            return []
        return targets + [f"{self.paper}/scorecard.md", f"{self.paper}/scorecard.tsv"]

    def scorecard_datasets(self):
        """The attributed datasets of every paper target (their scores test the claims)."""
        datasets = []
        for selection in self.config.get("paper", {}).values():
            for dataset in selection["datasets"]:
                attributed = "attributed" in dataset_kinds(self.config["datasets"][dataset])
                if attributed and dataset not in datasets:
                    datasets.append(dataset)
        return datasets

    def scorecard_runs(self):
        """The runs whose test metrics and validation loss the scorecard reads: those of
        Table 1 and of the §8 baselines (table_baselines), each once."""
        runs = {}
        for target in ("table1", "table_baselines"):
            if target in self.config.get("paper", {}):
                for run in self.paper_runs(target):
                    runs.setdefault(tuple(run.values()), run)
        return list(runs.values())

    def scorecard_settings(self):
        """What the scorecard needs to know of the config (attrprior.scorecard.ScoreTables)."""
        datasets = self.config["datasets"]
        methods, reference, gc_excess = {}, {}, {}
        for name, settings in datasets.items():
            if "attribution" in settings:
                methods[name] = settings.get("figures", {}).get(
                    "method", next(iter(settings["attribution"]["methods"]))
                )
            reference[name] = settings["evaluation"]["reference_condition"]
            if "single_motif" in settings:
                gc_excess[name] = settings["single_motif"].get("positive_gc_excess", 0.0)
        models = self.config["models"]
        return {
            "target_datasets": {
                target: list(selection["datasets"])
                for target, selection in self.config.get("paper", {}).items()
            },
            "methods": methods,
            "reference": reference,
            "activations": {
                name: model["activation"] for name, model in models.items() if "activation" in model
            },
            "architectures": {name: model["architecture"] for name, model in models.items()},
            "gc_excess": gc_excess,
            "paper_datasets": {
                name: settings["paper_dataset"]
                for name, settings in datasets.items()
                if "paper_dataset" in settings
            },
        }

    def planted_motifs(self, target):
        """Per simulated dataset of a target: the JASPAR IDs planted in its positives (billboard
        core motifs, or the single motif)."""
        planted = {}
        for dataset in self.paper_selection(target)["datasets"]:
            settings = self.config["datasets"][dataset]
            if "billboard" in settings:
                planted[dataset] = list(settings["billboard"]["core_motifs"])
            elif "single_motif" in settings:
                planted[dataset] = [settings["single_motif"]["motif"]]
        return planted

    def paper_motif_runs(self, target):
        """(dataset, model, condition) of a motif target, as dicts."""
        return [
            dict(dataset=dataset, model=model, condition=condition)
            for dataset, selection in self.paper_dataset_selection(target).items()
            for model in selection["models"]
            for condition in selection["conditions"]
        ]

    def dataset_ensembles(self, dataset):
        """(dataset, model, condition) of every ensemble of a dataset, as dicts."""
        settings = self.config["datasets"][dataset]
        if "ensemble" not in settings:
            return []
        condition = ensemble_condition(settings)
        return [
            dict(dataset=dataset, model=model, condition=condition)
            for model in settings["ensemble"]["models"]
        ]

    def ensemble_outputs(self, dataset):
        """The analysis tables of every ensemble of a dataset."""
        return [
            f"{self.ensemble_dir}/{table}.tsv".format(**run)
            for run in self.dataset_ensembles(dataset)
            for table in ("summary", "by_angle", "members")
        ]

    def paper_ensembles(self):
        """The ensembles (dataset_ensembles) of fig_koo_ensemble's datasets and models."""
        if "fig_koo_ensemble" not in self.config.get("paper", {}):
            return []
        return [
            run
            for dataset, selection in self.paper_dataset_selection("fig_koo_ensemble").items()
            for run in self.dataset_ensembles(dataset)
            if run["model"] in selection["models"]
        ]

    def paper_ensemble_files(self, table):
        """The ensemble table ``table`` (summary, by_angle, members) of every ensemble of
        fig_koo_ensemble."""
        return [f"{self.ensemble_dir}/{table}.tsv".format(**run) for run in self.paper_ensembles()]
