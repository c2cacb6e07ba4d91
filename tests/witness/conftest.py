"""Witnessing fixtures: two test witnesses of our log (support/tlog_witness.py)."""

from support.witnessing import test_witnesses

__all__ = ["test_witnesses"]
