"""Reports of suspected fakes from shoppers: stored off the ledger for the programme office."""
