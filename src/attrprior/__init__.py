"""attrprior: attribution priors and gradient correction for genomics CNNs.

Modules, one per concept; subpackages by concern.

Science (this package):

- sequences and motifs: ``sequences`` (alphabet, codes, one-hot), ``pwms`` (JASPAR motifs,
  sampling from and scanning for a PWM);
- models and training: ``models`` (CNNs), ``priors`` (attribution priors), ``losses``,
  ``conditions`` (a training condition and settings), ``objectives`` (losses per batch,
  evaluation), ``train`` (the training loop), ``training_data`` (what a training job
  trains on), ``packing`` (seeds trained together), ``device``;
- attributions: ``gradients`` (input gradients in batches), ``attribution`` (gradient
  methods, the priors' differentiable attributions, ``attribute``), ``deepshap``,
  ``deeplift`` (DeepLIFT multipliers), ``explained`` (what attributions explain),
  ``correction`` (gradient correction, simplex angles), ``map_names``;
- evaluation: ``metrics``, ``profile_metrics``, ``score_tables``, ``stats``, ``motifs``
  (TF-MoDISco), ``motif_matches`` (TOMTOM), ``motif_instances``, ``ensemble``,
  ``learnability``, ``plots``;
- the papers: ``claims`` (their claims and the verdict rule), ``paper_values`` (their
  numbers), ``scorecard``;
- ``io``, ``arguments`` (shared file and argument helpers).

``attrprior.genomics``, genomic data: ``encode`` (ENCODE, Zenodo and ENA client),
``encode_metadata`` (the portals' metadata checked), ``downloads`` (download records, the
lock file), ``peaks``, ``labels`` (binary labels), ``koo_regions`` (peak-centred regions),
``label_agreement``, ``alignment`` (reads to BAM with bowtie2), ``tracks`` (BAM to
counts), ``bigwig``, ``genome`` (the genome array), ``profile_examples`` (summit-centred
examples), ``stored_profiles`` (read back), ``sampling`` (balanced training batches),
``chroms`` (chromosome names); ``keras_weights`` and ``h5_dataset`` (the authors'
published Keras models and HDF5 datasets).

``attrprior.sim``, simulated data and services: ``billboard`` and ``single_motif`` (the
papers' synthetic datasets), ``datasets`` (their splits and storage), ``simgenome`` (a
simulated genome with ChIP/DNase data and ground truth), ``portal`` and ``portal_files`` (a
local stand-in for ENCODE, Zenodo, GitHub and ENA).

``attrprior.workflow``, what the Snakemake rules need at parse time (standard library,
PyYAML, Snakemake): ``checks`` (the config's cross-key checks and derived defaults), ``sources``
(genomic sources), ``config_files``, ``paths`` (every file of the workflow), ``targets``
(what each target builds), ``parse`` (all of it, in the order the workflow runs it).

All sequence and attribution arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

__version__ = "0.1.0"
