"""List the GPUs the job sees and run one CUDA training step (rule gpu_smoke_test)."""

import logging

from attrprior.io import write_text
from attrprior.train import gpu_smoke_test

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
report = gpu_smoke_test("cuda")
logging.info("\n%s", report)
print(report)
write_text(report, snakemake.output.report)
