"""Take one file out of a downloaded tar archive (rule extract_external_member); its record
names the archive's URL and the member's path in it."""

import logging

from attrprior.genomics.downloads import DownloadRecord, read_records, write_record
from attrprior.io import extract_tar_member, log_to_file

log_to_file(snakemake.log[0])
(archive,) = read_records(snakemake.input.archive_record)
member, md5, size = extract_tar_member(
    snakemake.input.archive, snakemake.params.pattern, snakemake.output.file
)
record = DownloadRecord(
    accession=f"{snakemake.wildcards.name}/{snakemake.wildcards.member}",
    url=f"{archive.url}#{member}",
    md5=md5,
    size=size,
    path=snakemake.output.file,
)
logging.info("extracted %s from %s (md5 %s of the archive)", record, archive.path, archive.md5)
write_record(record, snakemake.output.record)
