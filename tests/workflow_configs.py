"""The project's config files, validated against config/schema.yaml and parsed as the
workflow does at parse time, for the unit tests of attrprior.workflow."""

import copy
import functools

import yaml
from snakemake.utils import validate
from snakemake_runner import ROOT

from attrprior.workflow.config_files import ConfigFiles
from attrprior.workflow.parse import parse_config


def load(name):
    """config/``name`` as written."""
    return yaml.safe_load((ROOT / "config" / name).read_text())


def parsed(config, directory=None, in_main_process=True):
    """``config`` (a copy) validated and parsed (:class:`attrprior.workflow.targets.Targets`),
    as if read from ``directory``/config/config.yaml (relative paths are relative to it)."""
    config = copy.deepcopy(config)
    files = []
    if directory is not None:
        path = directory / "config" / "config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        files = [str(path)]
    validate(config, str(ROOT / "config" / "schema.yaml"))
    return parse_config(config, ConfigFiles(files), in_main_process=in_main_process)


def parsed_file(name, in_main_process=False):
    """config/``name`` validated and parsed as read from its own file (for configs whose
    local paths are relative to it)."""
    config = load(name)
    validate(config, str(ROOT / "config" / "schema.yaml"))
    files = ConfigFiles([str(ROOT / "config" / name)])
    return parse_config(config, files, in_main_process=in_main_process)


@functools.cache
def project_config(name):
    """config/``name`` parsed once per test session (outside the main process), shared by
    the test modules; tests change copies only (``edited``)."""
    return parsed(load(name), in_main_process=False)
