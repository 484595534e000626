"""Download one BAM per biological replicate of an experiment's output type (or of its first
possible control's), verified and indexed, into a directory that appears only once complete
(rule download_experiment_alignments)."""

import logging
from dataclasses import replace
from pathlib import Path

from attrprior.genomics.downloads import write_records
from attrprior.genomics.encode import client_from_config, download_experiment_files
from attrprior.genomics.encode_metadata import first_control, validate_accession
from attrprior.genomics.tracks import index_bam
from attrprior.io import atomic_directory, log_to_file

log_to_file(snakemake.log[0])
experiment = validate_accession(snakemake.params.experiment, "experiment")
output_type = snakemake.params.output_type
directory = Path(snakemake.output.files)
# The portal and the lock are read from the config, not params: a new mirror URL or lock file
# must not make verified files stale.
settings = snakemake.config["encode"]
with client_from_config(settings) as client:
    if snakemake.params.role == "control":
        control = first_control(client.experiment(experiment))
        logging.info("control of %s: %s, its first possible_controls entry", experiment, control)
        experiment = control
    with atomic_directory(directory) as tmp:
        records = download_experiment_files(
            client,
            experiment,
            output_type,
            snakemake.params.assembly,
            "bam",
            lambda accession: tmp / f"{accession}.bam",
            per_replicate=True,
            lock=settings.get("lock"),
        )
        for record in records:
            logging.info("downloaded %s; indexed as %s", record, index_bam(record.path).name)
records = [replace(r, path=str(directory / Path(r.path).name)) for r in records]
write_records(records, snakemake.output.record)
logging.info("%d files in %s", len(records), directory)
