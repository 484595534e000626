# Genomic datasets (encode_binary): genome arrays, Tseng et al. binary labels, bigWig
# tracks of 5' read counts, label agreement with a simulation's ground truth, and the
# predictive tables of the trained models.


rule encode_genome:
    input:
        fasta=lambda wc: paths.reference_path(wc.assembly, "fasta"),
        chrom_sizes=lambda wc: paths.reference_path(wc.assembly, "chrom_sizes"),
    output:
        codes=f"{paths.downloads}/{{assembly}}/genome.npy",
        index=f"{paths.downloads}/{{assembly}}/genome.json",
    log:
        "logs/genome/{assembly}/encode_genome.log",
    benchmark:
        "logs/benchmarks/encode_genome/{assembly}.tsv"
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        chroms=lambda wc: config["references"][wc.assembly]["chroms"],
    script:
        "../workflow/scripts/encode_genome.py"


# Chromosome sizes of a genome given only as a FASTA (references.<assembly>.chrom_sizes left
# out), and the empty blacklist of an assembly without one.
rule fasta_chrom_sizes:
    input:
        fasta=lambda wc: paths.reference_path(wc.assembly, "fasta"),
    output:
        chrom_sizes=f"{paths.downloads}/{{assembly}}/{OMITTED_REFERENCE_FILES['chrom_sizes']}",
    log:
        "logs/genome/{assembly}/fasta_chrom_sizes.log",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    script:
        "../workflow/scripts/fasta_chrom_sizes.py"


rule empty_blacklist:
    output:
        blacklist=f"{paths.downloads}/{{assembly}}/{OMITTED_REFERENCE_FILES['blacklist']}",
    log:
        "logs/genome/{assembly}/empty_blacklist.log",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../workflow/scripts/empty_blacklist.py"


rule binary_labels:
    input:
        chrom_sizes=lambda wc: paths.reference_path(
            paths.genomic_source(wc.dataset)["assembly"], "chrom_sizes"
        ),
        blacklist=lambda wc: paths.reference_path(
            paths.genomic_source(wc.dataset)["assembly"], "blacklist"
        ),
        optimal=lambda wc: paths.peak_files(wc, "optimal_peaks"),
        relaxed=lambda wc: paths.peak_files(wc, "relaxed_peaks"),
    output:
        labels=f"{paths.results}/{{dataset}}/data/labels.npz",
        summary=report(
            f"{paths.results}/{{dataset}}/data/labels_summary.tsv",
            caption="../workflow/report/labels_summary.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/binary_labels.log",
    benchmark:
        "logs/benchmarks/binary_labels/{dataset}.tsv"
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        tasks=lambda wc: list(paths.genomic_source(wc.dataset)["experiments"]),
        # The tasks whose relaxed peaks input.relaxed holds, in order (they are optional).
        relaxed_tasks=lambda wc: [
            task
            for task, entry in paths.genomic_source(wc.dataset)["experiments"].items()
            if "relaxed_peaks" in entry
        ],
        chroms=lambda wc: config["references"][
            paths.genomic_source(wc.dataset)["assembly"]
        ]["chroms"],
        labels=lambda wc: paths.genomic_source(wc.dataset)["labels"],
    script:
        "../workflow/scripts/binary_labels.py"


rule task_regions:
    input:
        unpack(paths.region_inputs),
    output:
        regions=f"{paths.results}/{{dataset}}/data/regions.npz",
        summary=report(
            f"{paths.results}/{{dataset}}/data/regions_summary.tsv",
            caption="../workflow/report/regions_summary.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/task_regions.log",
    benchmark:
        "logs/benchmarks/task_regions/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(paths.region_datasets) or "(?!)",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        source=lambda wc: paths.region_source(wc.dataset),
    script:
        "../workflow/scripts/task_regions.py"


rule index_bam:
    input:
        bam=f"{paths.downloads}/{{assembly}}/encode/{{accession}}.bam",
    output:
        index=f"{paths.downloads}/{{assembly}}/encode/{{accession}}.bam.bai",
    log:
        "logs/download/{assembly}/encode/{accession}.bam.bai.log",
    benchmark:
        "logs/benchmarks/index_bam/{assembly}/{accession}.tsv"
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../workflow/scripts/index_bam.py"


# External BAMs (alignments: {bam: [...]}, e.g. local files) indexed beside their link.
use rule index_bam as index_external_bam with:
    input:
        bam=f"{paths.downloads}/external/{{name}}",
    output:
        index=f"{paths.downloads}/external/{{name}}.bai",
    log:
        "logs/download/external/{name}.bai.log",
    benchmark:
        "logs/benchmarks/index_bam/external/{name}.tsv"
    wildcard_constraints:
        # A BAM member of an archive lies at <name>.members/<member> (external_path).
        name="|".join(
            re.escape(
                paths.external_path(ref).removeprefix(f"{paths.downloads}/external/")
            )
            for ref in paths.external_bams
        )
        or "(?!)",


# BAMs named by accession (indexed by rule index_bam), a directory of one indexed BAM per
# replicate (rule download_experiment_alignments), or aligned reads (rule align_reads);
# each BAM filtered (profile.read_filter), replicates summed: 5' counts per strand.
rule profile_tracks:
    input:
        bams=paths.alignment_files,
        indexes=paths.alignment_indexes,
        chrom_sizes=lambda wc: paths.reference_path(
            paths.genomic_source(wc.dataset)["assembly"], "chrom_sizes"
        ),
    output:
        pos=f"{paths.results}/{{dataset}}/data/tracks/{{task}}.{{track}}.pos.bigWig",
        neg=f"{paths.results}/{{dataset}}/data/tracks/{{task}}.{{track}}.neg.bigWig",
    log:
        "logs/{dataset}/profile_tracks/{task}.{track}.log",
    benchmark:
        "logs/benchmarks/profile_tracks/{dataset}/{task}.{track}.tsv"
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        # Settings over attrprior.genomics.tracks.ReadFilter's defaults (-F 780 -q 30).
        read_filter=lambda wc: paths.genomic_source(wc.dataset)
        .get("profile", {})
        .get("read_filter", {}),
    script:
        "../workflow/scripts/profile_tracks.py"


# The same, both strands together (profile.stranded: false; DNase-seq).
use rule profile_tracks as profile_tracks_unstranded with:
    output:
        unstranded=f"{paths.results}/{{dataset}}/data/tracks/{{task}}.{{track}}.unstranded.bigWig",
    log:
        "logs/{dataset}/profile_tracks/{task}.{track}.unstranded.log",
    benchmark:
        "logs/benchmarks/profile_tracks/{dataset}/{task}.{track}.unstranded.tsv"


rule profile_examples:
    input:
        unpack(paths.profile_inputs),
    output:
        examples=directory(f"{paths.results}/{{dataset}}/data/profile_examples"),
        summary=report(
            f"{paths.results}/{{dataset}}/data/profile_examples.tsv",
            caption="../workflow/report/profile_examples.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/profile_examples.log",
    benchmark:
        "logs/benchmarks/profile_examples/{dataset}.tsv"
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        tasks=lambda wc: paths.profile_tasks(wc.dataset),
        strands=lambda wc: profile_strands(paths.genomic_source(wc.dataset)),
        splits=lambda wc: paths.genomic_source(wc.dataset)["splits"],
        profile=lambda wc: paths.genomic_source(wc.dataset)["profile"],
        # Random genomic windows come from the training chromosomes (those not held out),
        # seeded by the dataset's seed.
        chroms=lambda wc: config["references"][
            paths.genomic_source(wc.dataset)["assembly"]
        ]["chroms"],
        seed=lambda wc: paths.genomic_source(wc.dataset)["seed"],
    script:
        "../workflow/scripts/profile_examples.py"


# The test windows every model of a genomic dataset is explained on (Tseng et al.: random
# test-set peak windows), with per-base summit distances and peak/footprint masks.
rule genomic_attribution_inputs:
    input:
        unpack(paths.genomic_attribution_data),
    output:
        inputs=f"{paths.results}/{{dataset}}/data/{{purpose}}_inputs.npz",
    log:
        "logs/{dataset}/genomic_{purpose}_inputs.log",
    benchmark:
        "logs/benchmarks/genomic_{purpose}_inputs/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(paths.window_datasets) or "(?!)",
        purpose="attribution|motif",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        attribution=lambda wc: paths.dataset_config(wc, "attribution"),
        n_sequences=lambda wc: paths.inputs_size(wc),
        test_chroms=lambda wc: paths.genomic_source(wc.dataset)["splits"]["test"],
    script:
        "../workflow/scripts/genomic_attribution_inputs.py"


rule label_agreement:
    input:
        labels=rules.binary_labels.output.labels,
        sites=lambda wc: [
            paths.genomic_source(wc.dataset)["truth"]["bound_sites"][task]
            for task in paths.genomic_source(wc.dataset)["experiments"]
        ],
    output:
        tsv=report(
            f"{paths.results}/{{dataset}}/tables/label_agreement.tsv",
            caption="../workflow/report/label_agreement.rst",
            category="Tables",
            labels={"table": "label_agreement", "format": "tsv"},
        ),
        md=f"{paths.results}/{{dataset}}/tables/label_agreement.md",
    log:
        "logs/{dataset}/label_agreement.log",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        # Half the widest simulated peak (600 bp) minus half a bin.
        max_distance=200,
    script:
        "../workflow/scripts/label_agreement.py"


rule genomic_tables:
    input:
        test_metrics=lambda wc: paths.run_outputs(
            rules.train_model.output.test_metrics, wc.dataset
        ),
    output:
        **{
            f"{table}_{ext}": report(
                f"{paths.results}/{{dataset}}/tables/{table}.{ext}",
                caption=f"../workflow/report/{table}.rst",
                category="Tables",
                labels={"table": table, "format": ext},
            )
            for table in GENOMIC_TABLES
            for ext in ("tsv", "md")
        },
    log:
        "logs/{dataset}/genomic_tables.log",
    wildcard_constraints:
        dataset="|".join(paths.genomic_datasets) or "(?!)",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        reference=lambda wc: paths.dataset_config(wc, "evaluation")[
            "reference_condition"
        ],
    script:
        "../workflow/scripts/genomic_tables.py"
