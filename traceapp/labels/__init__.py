"""QR codes and printable label sheets for OCOP products, batches and items.

Pure rendering: callers pass the Digital Link URI and the text to print; nothing here reads
the database or the Flask app.
"""
