"""Download one ENCODE file, verified by md5 and size (rules download_encode_file,
download_reference)."""

import logging

from attrprior.genomics.downloads import write_record
from attrprior.genomics.encode import client_from_config
from attrprior.genomics.encode_metadata import validate_file_reference
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
reference = validate_file_reference(snakemake.params.file_reference)
# The portal is read from the config, not params: a new mirror URL must not make verified
# files stale.
with client_from_config(snakemake.config["encode"]) as client:
    record = client.download_file(
        reference, snakemake.output.file, assembly=snakemake.params.assembly
    )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
