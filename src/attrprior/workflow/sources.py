"""The genomic sources of a workflow config on plain dicts: reference files, external files
and archive members, ENCODE experiments and their files, each task's reads and tracks;
their cross-key checks, each error naming the key. Standard library only (imported by the
workflow at parse time)."""

from __future__ import annotations

import math

from attrprior.genomics.chroms import parse_split_region

# Separates an archive's name from a member's in an external ref (<name>/<member>).
EXTERNAL_MEMBER_SEPARATOR = "/"


# Downloaded reference files per assembly: config key -> local file name.
REFERENCE_FILES = {
    "fasta": "genome.fasta.gz",
    "chrom_sizes": "chrom.sizes",
    "blacklist": "blacklist.bed.gz",
}


def external_parts(ref):
    """``(name, separator, member)`` of an external ref (``member`` empty for a file)."""
    return ref.partition(EXTERNAL_MEMBER_SEPARATOR)


def check_download_source(config, key, source):
    """The assembly of a genomic data section has references (chromosome sizes given, or
    read from an external FASTA), and the portal is set if any file comes from it."""
    references = config.get("references", {})
    if source["assembly"] not in references:
        raise ValueError(
            f"config key {key}.assembly: {source['assembly']!r} has no entry under "
            f"references (defined: {sorted(references)})"
        )
    reference = references[source["assembly"]]
    reference_key = f"references.{source['assembly']}"
    for kind in REFERENCE_FILES:
        if isinstance(reference.get(kind), dict):
            check_external_ref(config, f"{reference_key}.{kind}", reference[kind]["external"])
    if "chrom_sizes" not in reference and not isinstance(reference["fasta"], dict):
        raise ValueError(
            f"config key {reference_key}.chrom_sizes: required unless the FASTA is an "
            "external file (its sizes are then read from it)"
        )
    if "encode" not in config and uses_portal(reference, source):
        raise ValueError(f"config key encode: required by {key} (base_url of the portal)")


def uses_portal(reference, source):
    """Whether a genomic data section or its references take any file from the ENCODE
    portal (by accession, alias or output type), rather than all from external."""
    if any(isinstance(reference.get(kind), str) for kind in REFERENCE_FILES):
        return True
    if "experiments" not in source:
        return True  # encode_regions: peaks by accession or output type
    return any(portal_roles(entry) for entry in source["experiments"].values())


def check_region_dataset(config, key, source):
    """Cross-key checks of an ``encode_regions`` dataset section."""
    key = f"{key}.encode_regions"
    check_download_source(config, key, source)
    if abs(sum(source["split"].values()) - 1) > 1e-6:
        raise ValueError(f"config key {key}.split: fractions must sum to 1")


def check_genomic_dataset(config, key, source, profile_models=()):
    """Cross-key checks of an ``encode_binary`` dataset section (and what the dataset's
    profile models, if any, need of it). Split entries are read as profile examples read
    them (:meth:`attrprior.genomics.profile_examples.HeldOut.from_config`), with
    :func:`attrprior.genomics.chroms.parse_split_region`."""
    key = f"{key}.encode_binary"
    check_download_source(config, key, source)
    references = config["references"]
    chroms = references[source["assembly"]]["chroms"]
    regions = {}
    for split, entries in source["splits"].items():
        try:
            regions[split] = [parse_split_region(entry) for entry in entries]
        except ValueError as error:
            raise ValueError(f"config key {key}.splits.{split}: {error}") from None
    for split, entries in regions.items():
        unknown = sorted({chrom for chrom, _, _ in entries} - set(chroms))
        if unknown:
            raise ValueError(
                f"config key {key}.splits.{split}: {unknown} not among "
                f"references.{source['assembly']}.chroms"
            )
    for chrom, start, end in regions["valid"]:
        for other, other_start, other_end in regions["test"]:
            if (
                chrom == other
                and start < (other_end or math.inf)
                and other_start < (end or math.inf)
            ):
                shared_end = min(end or math.inf, other_end or math.inf)
                shared = (
                    chrom
                    if shared_end == math.inf
                    else f"{chrom}:{max(start, other_start)}-{shared_end}"
                )
                raise ValueError(f"config key {key}.splits: valid and test share {shared}")
    whole = {chrom for entries in regions.values() for chrom, _, end in entries if end is None}
    if not set(chroms) - whole:
        raise ValueError(f"config key {key}.splits: no chromosome is left for training")
    for ref in footprint_refs(source):
        check_external_ref(config, f"{key}.footprints", ref)
    for task, entry in source["experiments"].items():
        check_task_sources(config, f"{key}.experiments.{task}", entry)
    unknown = sorted(
        set(source.get("truth", {}).get("bound_sites", {})) - set(source["experiments"])
    )
    if unknown:
        raise ValueError(f"config key {key}.truth.bound_sites: {unknown} are not experiments")
    strands = profile_strands(source)
    for task, entry in source["experiments"].items():
        for role in ("signal", "control_signal"):
            if role in entry and sorted(entry[role]) != sorted(strands):
                raise ValueError(
                    f"config key {key}.experiments.{task}.{role}: {key}.profile.stranded is "
                    f"{strands != ['unstranded']}, so the bigWigs are {strands}; got "
                    f"{sorted(entry[role])}"
                )
    if not profile_models:
        return
    if "profile" not in source:
        raise ValueError(
            f"config key {key}.profile: required by the profile models {profile_models} "
            "(input_length, output_length, max_jitter of the summit-centred examples)"
        )
    with_reads = [t for t, e in source["experiments"].items() if has_reads(e)]
    if not with_reads:
        raise ValueError(
            f"config key {key}.experiments: the profile models {profile_models} need the "
            "alignments (BAM accessions, or {output_type: ...}) or the signal bigWigs of at "
            f"least one task; none of {sorted(source['experiments'])} has either"
        )
    with_control = [t for t in with_reads if has_control(source["experiments"][t])]
    if with_control and with_control != with_reads:
        raise ValueError(
            f"config key {key}.experiments: a control (control_alignments or "
            f"control_signal) on {with_control} but not on "
            f"{sorted(set(with_reads) - set(with_control))}; the profile models "
            f"{profile_models} take a control track for every task or for none"
        )
    # tseng_profile: 7 dilated convolutions (kernels 21, 3, ..., dilations 1 ... 64) crop
    # 272 bp, the profile head's kernel (75) 74 more: 1346 -> 1000.
    profile = source["profile"]
    if profile["input_length"] - profile["output_length"] != 346:
        raise ValueError(
            f"config key {key}.profile: the profile models {profile_models} predict "
            "input_length - 346 positions (1346 -> 1000); got input_length "
            f"{profile['input_length']} and output_length {profile['output_length']}"
        )


def footprint_refs(source):
    """The external files (refs) of an encode_binary section's footprints, as a list."""
    footprints = source.get("footprints", [])
    return [footprints] if isinstance(footprints, str) else list(footprints)


def check_external_ref(config, key, ref):
    """An external ref (<name> or <name>/<member>) names an entry (and member) of external."""
    external = config.get("external", {})
    name, _, member = external_parts(ref)
    if name not in external:
        raise ValueError(
            f"config key {key}: {ref!r} names no entry of external (defined: {sorted(external)})"
        )
    members = external[name].get("members", {})
    if member and member not in members:
        raise ValueError(
            f"config key {key}: {ref!r}: external.{name} has no member {member!r} "
            f"(members: {sorted(members)})"
        )
    if not member and members:
        raise ValueError(
            f"config key {key}: {ref!r} is an archive (external.{name}.members); name one "
            f"of its members, {name}/<member> ({sorted(members)})"
        )


def portal_roles(entry):
    """The file roles of an experiments entry that come from the ENCODE portal (by
    accession or output type) rather than from external (files, reads to align, BAMs).
    """
    roles = ("optimal_peaks", "relaxed_peaks", "alignments", "control_alignments")
    return [
        role
        for role in roles
        if role in entry
        and not (isinstance(entry[role], dict) and {"external", "fastq", "bam"} & set(entry[role]))
    ]


def check_task_sources(config, key, entry):
    """An experiments entry: external refs exist; an experiment is named when any file
    comes from ENCODE (by accession or output type)."""
    for role, ref in task_external_refs(entry):
        check_external_ref(config, f"{key}.{role}", ref)
    from_encode = portal_roles(entry)
    if from_encode and "experiment" not in entry:
        raise ValueError(
            f"config key {key}.experiment: required, as {from_encode} come from ENCODE "
            "(only a task whose files all come from external needs none)"
        )


def task_external_refs(entry):
    """``(config key, ref)`` of every external file of an experiments entry: its peaks,
    count bigWigs (pos, neg or unstranded) and reads to align."""
    refs = []
    for role in ("optimal_peaks", "relaxed_peaks"):
        if isinstance(entry.get(role), dict) and "external" in entry[role]:
            refs.append((role, entry[role]["external"]))
    for role in ("signal", "control_signal"):
        for strand in ("pos", "neg", "unstranded"):
            if strand in entry.get(role, {}):
                refs.append((f"{role}.{strand}", entry[role][strand]))
    for role in ("alignments", "control_alignments"):
        refs += [(f"{role}.fastq", ref) for ref in fastq_refs(entry.get(role))]
        if isinstance(entry.get(role), dict) and "bam" in entry[role]:
            refs += [(f"{role}.bam", ref) for ref in entry[role]["bam"]]
    return refs


def fastq_refs(alignments):
    """The external FASTQ refs of an alignments (or control_alignments) value that names
    reads to align ({fastq: [...]}), else none."""
    if isinstance(alignments, dict) and "fastq" in alignments:
        return list(alignments["fastq"])
    return []


def profile_strands(source):
    """The strands of an encode_binary section's count tracks, as file names use them:
    pos and neg (stranded, S = 2), or unstranded (profile.stranded: false, S = 1)."""
    if source.get("profile", {}).get("stranded", True):
        return ["pos", "neg"]
    return ["unstranded"]


def has_reads(entry):
    """Whether an experiments entry has read tracks (alignments, or signal bigWigs)."""
    return "alignments" in entry or "signal" in entry


def has_control(entry):
    """Whether an experiments entry has a control track (control_alignments or
    control_signal)."""
    return "control_alignments" in entry or "control_signal" in entry


def model_tasks(dataset, models):
    """The task names of a dataset's models in output order: an encode_binary section's
    experiments (profile models: those with read tracks); none for one unnamed task."""
    if "encode_binary" not in dataset:
        return []
    experiments = dataset["encode_binary"]["experiments"]
    profile = all(models[model]["architecture"] == "tseng_profile" for model in dataset["models"])
    return [task for task, entry in experiments.items() if has_reads(entry) or not profile]
