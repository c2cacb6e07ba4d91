"""GS1 identifiers (GTIN, GLN, lot, serial, AI 17 dates) and GS1 Digital Link URIs.

Pure functions and value objects: no Flask, no database. Errors are ``Gs1Error`` subclasses
that name the offending field and carry a message a shopper-facing page can show.
"""
