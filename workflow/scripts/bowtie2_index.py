"""bowtie2 index of an assembly's genome FASTA (rule bowtie2_index)."""

import logging

from attrprior.genomics.alignment import build_bowtie2_index
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
# A fixed seed: the same index on every run.
files = build_bowtie2_index(
    snakemake.input.fasta, snakemake.params.prefix, threads=snakemake.threads, seed=0
)
logging.info("bowtie2 index of %s: %s", snakemake.input.fasta, [str(f) for f in files])
