"""Single-end reads (an external FASTQ) aligned with bowtie2 into a sorted, indexed,
unfiltered BAM (rule align_reads)."""

import logging

from attrprior.genomics.alignment import align_single_end
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
# A fixed seed: bowtie2 breaks ties between equally good alignments the same way each run.
summary = align_single_end(
    [snakemake.input.fastq],
    snakemake.params.index_prefix,
    snakemake.output.bam,
    threads=snakemake.threads,
    seed=0,
)
logging.info(
    "%s: %d reads, %d aligned once, %d more than once (low MAPQ), %d unaligned (%.2f%% aligned)",
    snakemake.input.fastq,
    summary.reads,
    summary.unique,
    summary.multiple,
    summary.unaligned,
    100 * summary.aligned_fraction,
)
