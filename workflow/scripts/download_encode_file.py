"""Download one ENCODE file, verified by md5 and size (rules download_encode_file,
download_reference)."""

import dataclasses
import json
import logging

from attrprior.encode import PortalClient, validate_file_reference
from attrprior.io import write_text

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
reference = validate_file_reference(snakemake.params.file_reference)
# Read from the config, not params: a new mirror URL must not make verified files stale.
portal = snakemake.config["encode"]
with PortalClient(
    portal["base_url"],
    retries=portal.get("retries", 5),
    backoff=portal.get("backoff", 2.0),
    timeout=portal.get("timeout", 120.0),
) as client:
    record = client.download_file(
        reference, snakemake.output.file, assembly=snakemake.params.assembly
    )
logging.info("downloaded %s", record)
write_text(json.dumps(dataclasses.asdict(record), indent=1) + "\n", snakemake.output.record)
