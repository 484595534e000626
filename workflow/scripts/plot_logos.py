"""Attribution logos of one test sequence, one row per condition (rule plot_logos)."""

from attrprior.io import load_npz, log_to_file
from attrprior.map_names import corrected_name
from attrprior.plots import attribution_logos, save_figure

log_to_file(snakemake.log[0])

inputs = load_npz(snakemake.input.inputs, "attribution inputs")
i = snakemake.params.figures["logo_sequence"]
if i >= len(inputs["x"]):
    raise ValueError(
        f"config key figures.logo_sequence: {i} is out of range; "
        f"{len(inputs['x'])} sequences were attributed"
    )
method = snakemake.params.figures["method"]
importance = {}
for condition, path in zip(snakemake.params.conditions, snakemake.input.attributions, strict=True):
    maps = load_npz(path, "attribution maps")
    importance[condition] = maps[method][i] * inputs["x"][i]
    importance[f"{condition} (corrected)"] = maps[corrected_name(method)][i] * inputs["x"][i]
fig = attribution_logos(
    importance,
    inputs["truth"][i],
    inputs["mask_motif"][i],
    title=f"{snakemake.wildcards.model}: {method} × input, test sequence {inputs['index'][i]}",
)
save_figure(fig, snakemake.output.figure)
