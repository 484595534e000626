# The workflow's config checked and its paths, from attrprior.workflow (plain Python,
# unit-tested on plain dicts: tests/test_workflow_*.py); what needs Snakemake stays here.
import sys
from argparse import Namespace
from pathlib import Path

from snakemake.utils import validate


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


def import_checkout_library():
    """Let this process import the checkout's attrprior when the environment has none
    (check_library_location has refused any other). The modules used at parse time
    (attrprior.workflow, attrprior.genomics.chroms) need only the standard library, PyYAML
    and Snakemake."""
    import importlib.util

    if importlib.util.find_spec("attrprior") is None:
        sys.path.append(str(Path(workflow.basedir) / "src"))


import_checkout_library()

from attrprior.workflow.checks import tuned_key
from attrprior.workflow.config_files import ConfigFiles
from attrprior.workflow.parse import parse_config
from attrprior.workflow.paths import (
    GENOMIC_TABLES,
    INPUT_SPLITS,
    OMITTED_REFERENCE_FILES,
    TABLES,
)
from attrprior.workflow.sources import REFERENCE_FILES, model_tasks, profile_strands
from attrprior.workflow.targets import COMPARISON_TARGETS

validate(config, schema="../config/schema.yaml")
# The cross-key checks, each error naming the key; then every path. Checks that read files,
# the JASPAR database or this process's PyTorch run once, in the main process, not again
# in each job's own parse of the workflow (cluster and subprocess jobs).
paths = parse_config(
    config,
    ConfigFiles(workflow.configfiles),
    in_main_process=not (workflow.remote_exec or workflow.subprocess_exec),
)


wildcard_constraints:
    dataset="|".join(paths.datasets),
    model="|".join(config["models"]),
    condition="|".join(
        sorted({c for d in config["datasets"].values() for c in d["conditions"]})
    ),
    seed=r"\d+",
    weight_index=r"\d+",
    assembly="|".join(config.get("references", {})) or "(?!)",
    accession=r"ENCFF\d{3}[A-Z]{3}",
    track="signal|control",


def pack_references(wildcards):
    """With ``weight: auto``, each packed seed's reference-condition model."""
    conditions = paths.dataset_config(wildcards, "conditions")
    if conditions[wildcards.condition].get("weight") != "auto":
        return []
    return [
        paths.reference_run(
            Namespace(**{**dict(wildcards.items()), "seed": seed}),
            rules.train_model.output.model,
        )
        for seed in paths.pack_seeds(wildcards)
    ]


def motif_attributions(wildcards):
    """The maps TF-MoDISco runs on: the motif seed's own maps of the motif inputs
    (motifs.n_sequences), or that seed's attribution maps."""
    if paths.motif_own_inputs(wildcards):
        return rules.motif_attributions.output.attributions
    return paths.motif_seed_attributions(wildcards)


def figure_output(name):
    """A figure of one dataset and model, registered in the Snakemake report."""
    return report(
        f"{paths.results}/{{dataset}}/figures/{{model}}/{name}.png",
        caption=f"../workflow/report/{name}.rst",
        category="Figures",
        subcategory="{model}",
        labels={"figure": name, "model": "{model}"},
    )


def paper_report(name, ext):
    """An aggregate output of a paper target, registered in the Snakemake report."""
    return report(
        f"{paths.paper}/{name}.{ext}",
        caption=f"../workflow/report/paper_{name}.rst",
        category="Paper tables and figures",
        labels={"target": name, "format": ext},
    )
