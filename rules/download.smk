# Downloads from the ENCODE portal (or the local stand-in of config/simulated.yaml). Local
# rules: compute nodes often have no internet. Each file is checked against the portal's md5
# and size, written to a temporary name and renamed, and never fetched again once verified.


localrules:
    download_reference,
    download_encode_file,
    download_experiment_file,
    download_experiment_alignments,
    download_external,
    download_published_weights,
    link_local_file,
    extract_external_member,
    download_lock,


rule download_reference:
    output:
        file=f"{paths.downloads}/{{assembly}}/reference/{{reference}}",
        record=f"{paths.downloads}/{{assembly}}/reference/{{reference}}.download.json",
    log:
        "logs/download/{assembly}/reference/{reference}.log",
    wildcard_constraints:
        reference="|".join(re.escape(name) for name in REFERENCE_FILES.values()),
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,
    params:
        file_reference=lambda wc: config["references"][wc.assembly][
            {name: kind for kind, name in REFERENCE_FILES.items()}[wc.reference]
        ],
        # Reference files are addressed by an alias that names the assembly already; their
        # JSON is not required to record one.
        assembly=None,
    script:
        "../workflow/scripts/download_encode_file.py"


rule download_encode_file:
    output:
        file=f"{paths.downloads}/{{assembly}}/encode/{{accession}}.{{extension}}",
        record=f"{paths.downloads}/{{assembly}}/encode/{{accession}}.{{extension}}.download.json",
    log:
        "logs/download/{assembly}/encode/{accession}.{extension}.log",
    wildcard_constraints:
        extension=r"bed\.gz|bam",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,
    params:
        file_reference=lambda wc: wc.accession,
        assembly=lambda wc: wc.assembly,
    script:
        "../workflow/scripts/download_encode_file.py"


# Peaks named by experiment and output type: the file accession is read from the
# experiment's JSON (or taken from encode.lock) when the job runs and recorded in the
# download record (and lock).
rule download_experiment_file:
    output:
        file=f"{paths.downloads}/{{assembly}}/experiments/{{experiment}}/{{output_type}}.bed.gz",
        record=f"{paths.downloads}/{{assembly}}/experiments/{{experiment}}/{{output_type}}.bed.gz.download.json",
    log:
        "logs/download/{assembly}/experiments/{experiment}/{output_type}.log",
    wildcard_constraints:
        experiment=r"ENCSR\d{3}[A-Z]{3}",
        output_type=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        experiment=lambda wc: wc.experiment,
        output_type=lambda wc: wc.output_type.replace("_", " "),
        assembly=lambda wc: wc.assembly,
    script:
        "../workflow/scripts/download_experiment_file.py"


# Alignments named by output type: one BAM per biological replicate of the experiment (role
# signal) or of its first possible control (role control), read from the JSON (or taken from
# encode.lock) when the job runs, verified, indexed and moved into place as a whole
# directory; the record lists every file (and goes into the lock). Local, as the downloads
# are; the indexing runs here too.
rule download_experiment_alignments:
    output:
        files=directory(
            f"{paths.downloads}/{{assembly}}/experiments/{{experiment}}/{{role}}_{{output_type}}"
        ),
        record=f"{paths.downloads}/{{assembly}}/experiments/{{experiment}}/{{role}}_{{output_type}}.download.json",
    log:
        "logs/download/{assembly}/experiments/{experiment}/{role}_{output_type}.bam.log",
    wildcard_constraints:
        experiment=r"ENCSR\d{3}[A-Z]{3}",
        role="signal|control",
        output_type=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=480,
    params:
        experiment=lambda wc: wc.experiment,
        role=lambda wc: wc.role,
        output_type=lambda wc: wc.output_type.replace("_", " "),
        assembly=lambda wc: wc.assembly,
    script:
        "../workflow/scripts/download_experiment_alignments.py"


rule download_lock:
    input:
        records=lambda wc: [
            f"{path}.download.json" for path in paths.downloaded_files(wc.dataset)
        ],
    output:
        lock=report(
            f"{paths.results}/{{dataset}}/data/downloads.tsv",
            caption="../workflow/report/downloads.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/download_lock.log",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow/scripts/download_lock.py"


# Files from outside ENCODE: a URL and its md5, a file of a Zenodo record (md5 and size
# from the record's JSON), or a sequencing run's FASTQ (md5 and size from ENA's filereport).
rule download_external:
    output:
        file=f"{paths.downloads}/external/{{name}}",
        record=f"{paths.downloads}/external/{{name}}.download.json",
    log:
        "logs/download/external/{name}.log",
    wildcard_constraints:
        name="|".join(
            name
            for name in config.get("external", {})
            if name not in paths.local_files
        )
        or "(?!)",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,
    params:
        md5=lambda wc: config["external"][wc.name].get("md5"),
        size=lambda wc: config["external"][wc.name].get("size"),
        zenodo=lambda wc: config["external"][wc.name].get("zenodo"),
        ena=lambda wc: config["external"][wc.name].get("ena"),
    script:
        "../workflow/scripts/download_external.py"


# One seed's weights file of a published model kept in a GitHub repository
# (models.<name>.published_weights.github), verified by the md5 the package lists for it.
rule download_published_weights:
    output:
        file=f"{paths.downloads}/published_weights/{{model}}/seed{{seed}}.h5",
        record=f"{paths.downloads}/published_weights/{{model}}/seed{{seed}}.h5.download.json",
    log:
        "logs/download/published_weights/{model}/seed{seed}.log",
    wildcard_constraints:
        model="|".join(paths.published_models) or "(?!)",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        # The file and its md5, not the host (github.raw_url, read by the job): moving
        # to a mirror must not make verified files stale.
        download=lambda wc: paths.published_weights_download(wc.model, wc.seed),
    script:
        "../workflow/scripts/download_published_weights.py"


# A file on this machine (external.<name>.path), checked against its md5 when one is given,
# recorded (md5, size, path) for the lock like a download, and linked into place; copied
# instead, with its chromosome names mapped, where chrom_aliases renames any of them.
rule link_local_file:
    input:
        source=lambda wc: str(paths.local_files[wc.name]),
    output:
        file=f"{paths.downloads}/external/{{name}}",
        record=f"{paths.downloads}/external/{{name}}.download.json",
    log:
        "logs/download/external/{name}.log",
    wildcard_constraints:
        name="|".join(paths.local_files) or "(?!)",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        md5=lambda wc: config["external"][wc.name].get("md5"),
        aliases=paths.chrom_aliases,
    script:
        "../workflow/scripts/link_local_file.py"


# One file out of a downloaded tar archive (external.<name>.members.<member>: a pattern that
# must match exactly one file of it), with a record of its md5 for the download lock. One
# job per member, so that each rule input names exactly the files it reads.
rule extract_external_member:
    input:
        archive=f"{paths.downloads}/external/{{name}}",
        archive_record=f"{paths.downloads}/external/{{name}}.download.json",
    output:
        file=f"{paths.downloads}/external/{{name}}.members/{{member}}",
        record=f"{paths.downloads}/external/{{name}}.members/{{member}}.download.json",
    log:
        "logs/download/external/{name}.members/{member}.log",
    wildcard_constraints:
        name="|".join(paths.archives) or "(?!)",
        member="|".join(re.escape(m) for m in paths.archive_members) or "(?!)",
    conda:
        "../envs/genomics.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        pattern=lambda wc: paths.archive_member_pattern(wc.name, wc.member),
    script:
        "../workflow/scripts/extract_external_member.py"
