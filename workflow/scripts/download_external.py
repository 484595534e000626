"""Download a non-ENCODE file (GEO, Zenodo, ENA...), verified by the md5 in the config or, for
a file of a Zenodo record or the FASTQ of an ENA run, the md5 the record or ENA lists (rule
download_external)."""

import logging

from attrprior.genomics.downloads import write_record
from attrprior.genomics.encode import ENA_URL, ZENODO_URL, client_from_config
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
name = snakemake.wildcards.name
zenodo = snakemake.params.zenodo
ena = snakemake.params.ena
# Mirrors are read from the config, not params: a new mirror must not make a verified file stale.
with client_from_config(snakemake.config.get("encode")) as client:
    if zenodo is not None:
        record = client.download_zenodo_file(
            zenodo["record"],
            zenodo["file"],
            snakemake.output.file,
            base_url=snakemake.config.get("zenodo", {}).get("base_url", ZENODO_URL),
            expected_md5=snakemake.params.md5,
            label=name,
        )
    elif ena is not None:
        ena_config = snakemake.config.get("ena") or {}
        record = client.download_ena_fastq(
            ena["run"],
            snakemake.output.file,
            read=ena.get("read"),
            base_url=ena_config.get("base_url", ENA_URL),
            file_scheme=ena_config.get("file_scheme", "https"),
            expected_md5=snakemake.params.md5,
            label=name,
        )
    else:
        record = client.download_url(
            snakemake.config["external"][name]["url"],
            snakemake.output.file,
            md5=snakemake.params.md5,
            size=snakemake.params.size,
            accession=name,
        )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
