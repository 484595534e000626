"""List the GPUs the job sees and run one CUDA training step (rule gpu_smoke_test)."""

import logging

from attrprior.io import log_to_file, write_text
from attrprior.train import gpu_smoke_test

log_to_file(snakemake.log[0])
report = gpu_smoke_test("cuda")
logging.info("\n%s", report)
print(report)
write_text(report, snakemake.output.report)
