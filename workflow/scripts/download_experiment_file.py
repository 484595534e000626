"""Download the one file of an experiment with a configured output type, resolved from the
experiment's JSON (or pinned by encode.lock), verified by md5 and size (rule
download_experiment_file)."""

import logging

from attrprior.genomics.downloads import write_record
from attrprior.genomics.encode import client_from_config, download_experiment_files
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
# The portal and the lock are read from the config, not params: a new mirror URL or lock file
# must not make verified files stale.
settings = snakemake.config["encode"]
with client_from_config(settings) as client:
    (record,) = download_experiment_files(
        client,
        snakemake.params.experiment,
        snakemake.params.output_type,
        snakemake.params.assembly,
        "bed",
        lambda accession: snakemake.output.file,
        per_replicate=False,
        lock=settings.get("lock"),
    )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
