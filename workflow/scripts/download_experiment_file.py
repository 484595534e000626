"""Download the one file of an experiment with a configured output type, resolved from the
experiment's JSON, verified by md5 and size (rule download_experiment_file)."""

import dataclasses
import json
import logging

from attrprior.encode import PortalClient, resolve_file, validate_accession
from attrprior.io import write_text

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
experiment = validate_accession(snakemake.params.experiment, "experiment")
output_type = snakemake.params.output_type
assembly = snakemake.params.assembly
# Read from the config, not params: a new mirror URL must not make verified files stale.
portal = snakemake.config["encode"]
with PortalClient(
    portal["base_url"],
    retries=portal.get("retries", 5),
    backoff=portal.get("backoff", 2.0),
    timeout=portal.get("timeout", 120.0),
) as client:
    accession = resolve_file(client.experiment(experiment), output_type, assembly, "bed")
    logging.info("%s %r (%s) resolved to %s", experiment, output_type, assembly, accession)
    record = client.download_file(accession, snakemake.output.file, assembly=assembly)
logging.info("downloaded %s", record)
write_text(json.dumps(dataclasses.asdict(record), indent=1) + "\n", snakemake.output.record)
