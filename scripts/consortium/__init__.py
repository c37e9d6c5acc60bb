"""A county consortium chain on loopback, started by the project's own scripts: the executable
version of docs/deployment.md.

Three organisations — the finance bureau (which also runs the notary), the audit bureau and the
discipline inspection commission — each run a validating geth 1.13.15 clique node; a fourth,
non-validating node serves the public (:mod:`scripts.consortium.network`). EvidenceAnchor is
deployed with its admin role on a TimelockController of the three organisations
(:mod:`scripts.consortium.governance`).

    python -m scripts.consortium up [--dir DIR]    # start, deploy, print the settings; Ctrl-C stops

geth 1.13.15 is built once into ~/.cache/sunlight/bin/geth-1.13.15 by scripts/setup/40-geth.sh.
"""
