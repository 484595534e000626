"""attrprior: attribution priors and gradient correction for genomics CNNs.

Modules, one per concept. Science: ``sequences`` (alphabet, codes, one-hot), ``data``
(JASPAR motifs, simulated datasets), ``models`` (CNNs), ``priors`` (attribution priors),
``losses``, ``train`` (training loop), ``training_data`` (what a training job trains on),
``packing`` (seeds trained together), ``device``, ``attribution`` (gradient methods,
DeepSHAP), ``deeplift`` (DeepLIFT multipliers), ``explained`` (what attributions explain),
``correction`` (gradient correction, simplex angles), ``map_names``, ``metrics``, ``stats``,
``plots``, ``motifs``, ``ensemble``, ``scorecard``. Genomic data: ``encode`` (ENCODE,
Zenodo and ENA downloads, verified), ``portal`` (a local stand-in for those services),
``simgenome`` (a simulated genome with ChIP/DNase data and ground truth), ``peaks``,
``labels`` (binary labels), ``alignment`` (reads to BAM with bowtie2), ``tracks`` (BAM to
bigWig), ``genome`` (the genome array), ``profile_examples`` (summit-centred examples),
``sampling`` (balanced training batches), ``chroms`` (chromosome names);
``keras_weights`` and ``h5_dataset`` (the authors' published Keras models and HDF5
datasets). The workflow's config logic: ``workflow_config``. All sequence and attribution
arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

__version__ = "0.1.0"
