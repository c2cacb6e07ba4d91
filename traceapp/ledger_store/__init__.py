"""SQLAlchemy storage for the ledger library: entries, subtree hashes, checkpoints, head."""
