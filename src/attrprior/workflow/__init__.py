"""attrprior.workflow: what the workflow's rules need at parse time, as plain Python on plain
dicts: the config's checks, its files and targets. Standard library, PyYAML and Snakemake
only, and this file imports nothing, so that Snakemake can import the package in any
environment it runs in."""
