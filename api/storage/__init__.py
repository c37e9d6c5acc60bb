"""Persistence: the database (the Merkle log, parties, anchors, migrations), the leader lock, the
notary key, and the blob stores."""
