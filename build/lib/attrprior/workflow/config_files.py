"""The config files of a run: read once (a key given twice in one mapping is an error),
and the paths they name resolved relative to the file that names them; the local files
the config names, and their chromosome names checked against the genome's.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from attrprior.genomics import chroms
from attrprior.workflow.sources import footprint_refs, task_external_refs


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


class ConfigFiles:
    """The config files of one run (``--configfile``, in order: later files win).

    Parameters
    ----------
    paths : list of path-like
        The config files, as Snakemake's ``workflow.configfiles`` lists them.
    """

    def __init__(self, paths: list) -> None:
        self.paths = list(paths)
        # Each file as written: read once, for duplicate keys here and to resolve the
        # relative paths a file names (naming).
        self.contents = {}
        for path in self.paths:
            with open(path) as handle:
                self.contents[path] = yaml.load(handle, Loader=UniqueKeyLoader)

    def naming(self, keys: list, value) -> Path | None:
        """The config file (last first, as later files win) whose YAML holds ``value`` at
        ``keys``, or None (a value from --config)."""
        for path in reversed(self.paths):
            node = self.contents[path]
            for key in keys:
                node = node.get(key) if isinstance(node, dict) else None
            if node == value:
                return Path(path)
        return None

    def relative(self, keys: list, value: str) -> Path:
        """A path of the config, absolute: relative paths are relative to the config file
        that names them (the working directory for --config values)."""
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        named_in = self.naming(keys, value)
        # abspath, not resolve(): a link of the user's keeps pointing where they point it.
        return Path(os.path.abspath((named_in.parent if named_in else Path.cwd()) / path))

    def local_files(self, config: dict) -> dict[str, Path]:
        """external entries with a path -> the absolute path; each must exist."""
        files = {}
        for name, entry in config.get("external", {}).items():
            if "path" in entry:
                path = self.relative(["external", name, "path"], entry["path"])
                if not path.is_file():
                    raise ValueError(
                        f"config key external.{name}.path: {entry['path']!r} is not a file ({path})"
                    )
                files[name] = path
        return files

    def chrom_aliases(self, config: dict) -> dict[str, str]:
        """config chrom_aliases as a mapping (a file of two columns is read)."""
        value = config.get("chrom_aliases")
        if value is None:
            return {}
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        path = self.relative(["chrom_aliases"], value)
        if not path.is_file():
            raise ValueError(f"config key chrom_aliases: {value!r} is not a file ({path})")
        return chroms.read_aliases(path)


def check_local_chrom_names(config: dict, local_files: dict, aliases: dict) -> None:
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
        if not (isinstance(fasta, dict) and fasta["external"] in local_files):
            continue
        genome = local_files[fasta["external"]]
        genome_names = chroms.renamed(chroms.sequence_names(genome), aliases)
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
                ref for role, ref in task_external_refs(entry) if not role.endswith(".fastq")
            ]
        for ref in dict.fromkeys(others):
            if ref in local_files:
                names = chroms.sequence_names(local_files[ref])
                chroms.check_shared_names(
                    genome,
                    genome_names,
                    local_files[ref],
                    chroms.renamed(names, aliases),
                    hint,
                )
        if missing:
            raise ValueError(
                f"config key references.{source['assembly']}.chroms: {missing} are not in "
                f"{genome} (its names: {genome_names[:6]}){hint}"
            )
