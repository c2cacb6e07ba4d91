"""Faster ways to the verdicts the reference core decides (ledger.verify, ledger.jcs).

Nothing here decides anything the reference does not: every function returns what its
reference counterpart returns and raises the same error with the same message, only sooner.
tests/ledger/test_fast_matches_reference.py, test_verify_log_reference.py, test_fast_jcs.py
and test_entry_scanner.py hold them to that on generated valid and broken input.

- `verify`: `verify_log`, `verify_log_chunks`, `verify_export` on a pool of forked workers
  (`ledger.verify.verify_log`'s verdict);
- `batch`, `acceptor`, `readers`, `key_hints`: the workers' checks, the in-order acceptance
  of their results, the input cut into batches, the actors' keys read ahead;
- `scanner`: `EntryScanner`, `ledger.entry.parse_entry`'s checks without building entries;
- `jcs`: `parse_canonical` (`ledger.jcs.parse_canonical`'s answer) and `ObjectLayouts`.
"""
