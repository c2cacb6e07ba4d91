"""Benchmark: a print run of labels (1,000 by default) to one A4 PDF.

Prints the time against the goal (<= 10 s on the project's 2-core machine) and, measured in
the same run, how fast plain ``qrcode`` builds matrices on its own (``make(fit=True)`` with its
own mask search): the floor any QR label sheet built on ``qrcode`` would start from. The
ratio tells a busy or slow machine apart from a regression.

    .venv/bin/python bench/bench_labels.py [--labels N] [--sample N] [--output FILE.pdf]
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import qrcode  # type: ignore[import-untyped]

from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.gs1.identifiers import new_serial, with_check_digit
from traceapp.labels.qr import encode
from traceapp.labels.sheet import Label, render_label_sheet

GOAL_SECONDS = 10.0
BASE_URL = "https://truyxuat.ocop.example.vn"


def batch_labels(count: int) -> list[Label]:
    """One batch of a real-looking OCOP product, every item with its own serial."""
    gtin = with_check_digit("0893123456789")
    lot = "TSH-2026/11"
    expiry = date(2027, 11, 30)
    labels = []
    for _ in range(count):
        serial = new_serial()
        link = DigitalLink(gtin, lot=lot, serial=serial, expiry=expiry)
        labels.append(
            Label(format_uri(BASE_URL, link), "Trà Shan tuyết Cổ thụ", lot, serial, 4, expiry)
        )
    return labels


def seconds_per_call(function: object, uris: list[str]) -> float:
    assert callable(function)
    start = time.perf_counter()
    for uri in uris:
        function(uri)
    return (time.perf_counter() - start) / len(uris)


def plain_qrcode_matrix(uri: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(uri)
    qr.make(fit=True)
    matrix: list[list[bool]] = qr.get_matrix()
    return matrix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000, help="labels to render")
    parser.add_argument("--sample", type=int, default=200, help="symbols timed per QR figure")
    parser.add_argument("--output", type=Path, help="also write the PDF here")
    args = parser.parse_args(argv)

    labels = batch_labels(args.labels)
    start = time.perf_counter()
    pdf = render_label_sheet(labels)
    elapsed = time.perf_counter() - start
    if args.output:
        args.output.write_bytes(pdf)

    sample = [label.uri for label in labels[: args.sample]]
    plain = seconds_per_call(plain_qrcode_matrix, sample)
    ours = seconds_per_call(encode, sample)
    plain_total = plain * args.labels

    verdict = "within goal" if elapsed <= GOAL_SECONDS else "OVER GOAL"
    print(f"labels: {args.labels} in {elapsed:.2f} s (goal <= {GOAL_SECONDS:g} s) {verdict}")
    print(f"  PDF: {len(pdf) / 1e6:.2f} MB, {-(-args.labels // 40)} pages")
    print(
        f"qrcode matrix, plain qrcode: {1 / plain:.0f} symbols/s "
        f"({args.labels} would take {plain_total:.2f} s)"
    )
    print(f"qrcode matrix, traceapp.labels.qr.encode: {1 / ours:.0f} symbols/s")
    print(f"ratio labels / plain qrcode matrices: {elapsed / plain_total:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
