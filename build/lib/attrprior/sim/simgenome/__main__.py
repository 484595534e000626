"""``python -m attrprior.sim.simgenome``: the simulated genome, from the command line."""

from attrprior.sim.simgenome import main

raise SystemExit(main())
