"""Field evidence: where and when a site photo was taken, and the rules that flag it.

Pure code, like the rest of ``notary``: images are read by the service (``api/service/evidence.py``),
which hands the facts it found to :mod:`notary.evidence.photos`.
"""
