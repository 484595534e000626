"""attrprior: attribution priors and gradient correction for genomics CNNs.

Modules, one per concept; subpackages by concern.

Science (this package): ``sequences`` (alphabet, codes, one-hot), ``pwms`` (JASPAR motifs,
sampling from and scanning for a PWM), ``arguments`` (scalar argument checks), ``models``
(CNNs), ``priors`` (attribution priors), ``losses``, ``train`` (training loop),
``training_data`` (what a training job trains on), ``packing`` (seeds trained together),
``device``, ``attribution`` (gradient methods, DeepSHAP), ``deeplift`` (DeepLIFT
multipliers), ``explained`` (what attributions explain), ``correction`` (gradient
correction, simplex angles), ``map_names``, ``metrics``, ``stats``, ``plots``, ``motifs``,
``ensemble``, ``scorecard``, ``learnability``, ``io``.

``attrprior.genomics``, genomic data: ``encode`` (ENCODE, Zenodo and ENA downloads,
verified), ``peaks``, ``labels`` (binary labels), ``alignment`` (reads to BAM with
bowtie2), ``tracks`` (BAM to bigWig), ``genome`` (the genome array), ``profile_examples``
(summit-centred examples), ``sampling`` (balanced training batches), ``chroms``
(chromosome names); ``keras_weights`` and ``h5_dataset`` (the authors' published Keras
models and HDF5 datasets).

``attrprior.sim``, simulated data and services: ``billboard`` and ``single_motif`` (the
papers' synthetic datasets), ``datasets`` (their splits and storage), ``simgenome`` (a
simulated genome with ChIP/DNase data and ground truth), ``portal`` (a local stand-in for
ENCODE, Zenodo and ENA).

``attrprior.workflow``, what the Snakemake rules need at parse time (standard library and
PyYAML): ``checks`` (the config's cross-key checks and derived defaults), ``sources``
(genomic sources), ``config_files``, ``paths`` (every file of the workflow), ``targets``
(what each target builds), ``parse`` (all of it, in the order the workflow runs it).

All sequence and attribution arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

__version__ = "0.1.0"
