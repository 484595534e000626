"""attrprior.sim: simulated services and data, the simulated genome and the local stand-in
portal."""
