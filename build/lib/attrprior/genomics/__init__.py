"""attrprior.genomics: Genomic data: downloads, peaks, labels, alignment, tracks, genome arrays,
examples, batches, chromosome names, the authors' published models and datasets."""
