"""Everything the workflow does with its config at parse time, before any job: the
cross-key checks, in order, and the paths of every file (``rules/common.smk`` calls
:func:`parse_config` after validating the config against ``config/schema.yaml``)."""

from __future__ import annotations

from attrprior.workflow.checks import (
    check_config,
    check_ensembles,
    check_motifs,
    check_published_models,
    check_table2_options,
)
from attrprior.workflow.config_files import ConfigFiles, check_local_chrom_names
from attrprior.workflow.targets import Targets, check_paper_targets


def parse_config(
    config: dict, config_files: ConfigFiles | None = None, in_main_process: bool = True
) -> Targets:
    """Check a config validated against the schema and return its paths.

    Parameters
    ----------
    config : dict
        Validated against ``config/schema.yaml``, defaults filled in; derived defaults are
        added here (``evaluation.highfreq_limit``).
    config_files : ConfigFiles, optional
        The files it was read from (relative paths are relative to them).
    in_main_process : bool
        Also run the checks that read files (chromosome names of local files, published
        weights), open the JASPAR database or look at this process's PyTorch: once, in the
        main process, not in each job's own parse of the workflow.

    Returns
    -------
    Targets
        The paths of every file and what every target builds.

    Raises
    ------
    ValueError
        Naming the config key (or file and line) at fault.
    """
    check_config(config, in_main_process=in_main_process)
    targets = Targets(config, config_files)
    if targets.local_files and in_main_process:
        check_local_chrom_names(config, targets.local_files, targets.chrom_aliases)
    check_ensembles(config)
    if in_main_process:
        check_published_models(targets)
    check_motifs(config)
    check_paper_targets(config)
    check_table2_options(config)
    return targets
