"""Chromosome sizes read from a genome FASTA (rule fasta_chrom_sizes)."""

import logging

from attrprior.genomics.chroms import fasta_lengths
from attrprior.io import log_to_file, write_text

log_to_file(snakemake.log[0])
lengths = fasta_lengths(snakemake.input.fasta)
write_text(
    "".join(f"{name}\t{length}\n" for name, length in lengths.items()), snakemake.output.chrom_sizes
)
logging.info("%d sequences, %d bp", len(lengths), sum(lengths.values()))
