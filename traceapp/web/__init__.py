"""HTTP blueprints: Digital Link resolver, QR images, ledger API, EPCIS REST, health."""
