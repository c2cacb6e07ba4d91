"""Exports of lists and statistics as CSV (UTF-8 with BOM) and XLSX, streamed."""
