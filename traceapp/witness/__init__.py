"""Witnessing (c2sp.org/tlog-witness): our witness endpoint for others' logs, and the pusher that
asks witnesses to cosign our own log's checkpoints (issue 18)."""
