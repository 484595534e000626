"""Encode a downloaded genome FASTA into a memory-mappable array (rule encode_genome).

ENCODE's FASTA is plain gzip, which pyfaidx cannot index: it is decompressed to a temporary
file beside the output first, and removed afterwards. A local FASTA may also be plain.
"""

import gzip
import logging
import shutil
import tempfile
from pathlib import Path

from attrprior.genomics.genome import check_fasta_chroms, encode_genome
from attrprior.genomics.peaks import read_chrom_sizes
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
chroms = list(snakemake.params.chroms)
sizes = read_chrom_sizes(snakemake.input.chrom_sizes)
missing = [chrom for chrom in chroms if chrom not in sizes]
if missing:
    raise ValueError(
        f"{snakemake.input.chrom_sizes}: chromosomes {missing} of the config are absent"
    )
out_dir = Path(snakemake.output.codes).parent
with tempfile.TemporaryDirectory(dir=out_dir, prefix=".fasta.") as tmp:
    fasta = Path(tmp) / "genome.fa"
    with open(snakemake.input.fasta, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    with opener(snakemake.input.fasta, "rb") as source, open(fasta, "wb") as target:
        shutil.copyfileobj(source, target, length=1 << 24)
    check_fasta_chroms(fasta, {chrom: sizes[chrom] for chrom in chroms})
    index = encode_genome(fasta, snakemake.output.codes, chroms)
logging.info("encoded %d chromosomes, %d bp", len(index.chroms), index.total_length)
