"""attrprior: attribution priors and gradient correction for genomics CNNs.

Modules, one per concept: ``data`` (simulated datasets), ``models`` (CNNs),
``priors`` (attribution priors), ``train`` (training loop), ``attribution``
(gradient-based and DeepSHAP attributions, gradient correction), ``metrics``,
``stats`` and ``plots``; genomic data: ``encode`` (ENCODE, Zenodo and ENA downloads,
verified), ``portal`` (a local stand-in for those services), ``simgenome`` (a simulated
genome with ChIP/DNase data and ground truth), ``peaks`` (narrowPeak/BED reading),
``labels`` (binary labels), ``alignment`` (reads to BAM with bowtie2), ``tracks`` (BAM to
bigWig), ``genome`` (sequence arrays, profile examples), ``sampling`` (balanced training
batches) and ``chroms`` (chromosome names of genomic files, renaming them);
``keras_weights`` and ``h5_dataset`` (the authors' published Keras models and HDF5
datasets, read into ours). All sequence
and attribution arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

__version__ = "0.1.0"
