"""Download the one file of an experiment with a configured output type, resolved from the
experiment's JSON, verified by md5 and size (rule download_experiment_file)."""

import logging

from attrprior.encode import client_from_config, resolve_file, validate_accession, write_record

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
experiment = validate_accession(snakemake.params.experiment, "experiment")
output_type = snakemake.params.output_type
assembly = snakemake.params.assembly
# The portal is read from the config, not params: a new mirror URL must not make verified
# files stale.
with client_from_config(snakemake.config["encode"]) as client:
    accession = resolve_file(client.experiment(experiment), output_type, assembly, "bed")
    logging.info("%s %r (%s) resolved to %s", experiment, output_type, assembly, accession)
    record = client.download_file(accession, snakemake.output.file, assembly=assembly)
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
