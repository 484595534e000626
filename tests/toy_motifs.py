"""Small seeded motifs and billboard datasets shared by the simulator tests."""

import numpy as np

from attrprior.pwms import Motif
from attrprior.sequences import reverse_complement
from attrprior.sim.billboard import simulate_billboard


def toy_motifs():
    """Four small motifs with distinct, asymmetric PWMs."""
    rng = np.random.default_rng(123)
    motifs = {}
    for i, width in enumerate((5, 6, 7, 8)):
        pwm = rng.dirichlet(np.full(4, 0.5), size=width).T
        matrix_id = f"MX{i:04d}.1"
        motifs[matrix_id] = Motif(matrix_id=matrix_id, name=f"TOY{i}", pwm=pwm)
    return motifs


def toy_billboard(**kwargs):
    """A 200-sequence, 60-bp billboard of the toy motifs (two core, two background)."""
    arguments = dict(
        n_sequences=200,
        length=60,
        core_motif_ids=("MX0000.1", "MX0001.1"),
        n_background_motifs=2,
        motifs=toy_motifs(),
    )
    arguments.update(kwargs)
    return simulate_billboard(**arguments)


def stranded_pwm(motifs, row):
    """The PWM of a placement row as it reads on the forward strand, (4, W)."""
    pwm = motifs[row.matrix_id].pwm
    return reverse_complement(pwm) if row.strand == "-" else pwm
