"""What partners read in bulk: the national portal profile and the marketplace catalogue feed.

``portal`` maps products, batches, items and critical tracking events to the consumer fields of
Circular 02/2024/TT-BKHCN and TCVN 12850's key data elements (``docs/portal.md``); ``feed`` lists
certified products for marketplaces as schema.org JSON-LD and CSV. Both only read the projections,
and every record names the ledger entry it came from.
"""
