"""The notary service: the core wired to storage — submit records and sign receipts, build and
judge proof bundles, group commit, audit, and the anchorer's wiring."""
