# Reads to alignments: external single-end FASTQ files (alignments: {fastq: [...]}, e.g.
# the naked-DNA DNase-seq control of Tseng et al.'s K562 DNase profile model) aligned with
# bowtie2 to the assembly's genome. The BAMs are kept unfiltered, like ENCODE's "unfiltered
# alignments"; rule profile_tracks filters every BAM alike (profile.read_filter).


rule bowtie2_index:
    input:
        fasta=lambda wc: paths.reference_path(wc.assembly, "fasta"),
    output:
        index=paths.bowtie2_index_files("{assembly}"),
    log:
        "logs/align/{assembly}/bowtie2_index.log",
    benchmark:
        "logs/benchmarks/bowtie2_index/{assembly}.tsv"
    conda:
        "../envs/align.yaml"
    threads: 8
    resources:
        mem_mb=16000,
        runtime=360,
    params:
        prefix=lambda wc: paths.bowtie2_prefix(wc.assembly),
    script:
        "../workflow/scripts/bowtie2_index.py"


rule align_reads:
    input:
        fastq=lambda wc: paths.external_path(wc.reads),
        index=lambda wc: paths.bowtie2_index_files(wc.assembly),
    output:
        bam=f"{paths.downloads}/{{assembly}}/aligned/{{reads}}.bam",
        bai=f"{paths.downloads}/{{assembly}}/aligned/{{reads}}.bam.bai",
    log:
        "logs/align/{assembly}/{reads}.log",
    benchmark:
        "logs/benchmarks/align_reads/{assembly}/{reads}.tsv"
    wildcard_constraints:
        reads="|".join(re.escape(ref) for ref in paths.fastq_to_align) or "(?!)",
    conda:
        "../envs/align.yaml"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        index_prefix=lambda wc: paths.bowtie2_prefix(wc.assembly),
    script:
        "../workflow/scripts/align_reads.py"
