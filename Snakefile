# Reproduction workflow: Fourier attribution priors (Tseng et al. 2020) and gradient
# correction (Majdandzic et al. 2023). Stages live in rules/; see README.md.
from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless the command line names configuration files: --configfile
# config/spi1.yaml then means exactly that file (Snakemake would otherwise merge the two, and
# the default's datasets would run too).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/download.smk"
include: "rules/align.smk"
include: "rules/genome.smk"
include: "rules/train.smk"
include: "rules/attribution.smk"
include: "rules/ensemble.smk"
include: "rules/evaluation.smk"
include: "rules/motifs.smk"
include: "rules/tables.smk"
include: "rules/figures.smk"
include: "rules/paper.smk"


rule all:
    default_target: True
    input:
        paths.all_outputs(),
