"""List the GPUs the job sees and run one CUDA training step (rule gpu_smoke_test)."""

import logging

from attrprior.device import gpu_smoke_test
from attrprior.io import log_to_file, write_text

log_to_file(snakemake.log[0])
report = gpu_smoke_test("cuda")
logging.info("\n%s", report)
print(report)
write_text(report, snakemake.output.report)
