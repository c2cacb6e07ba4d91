"""``traceapp labels BATCH -o FILE.pdf``: a printable sheet of the batch's item stamps."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import overload

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch
from traceapp.batches.targets import find_target
from traceapp.cli.common import require_schema
from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import parse_path
from traceapp.gs1.errors import Gs1Error
from traceapp.i18n import vietnam_today
from traceapp.labels.sheet import Label, SheetLayout, render_label_sheet
from traceapp.labels.stamps import batch_labels

PROGRESS_FROM = 200  # smaller batches render in well under a second
DEFAULT = SheetLayout()


def find_batch(session: Session, reference: str) -> Batch:
    """The batch named by its public ID or its Digital Link path ``/01/{gtin}/10/{lot}``."""
    if reference.startswith("/"):
        try:
            link = parse_path(reference)
        except Gs1Error as exc:
            raise click.BadParameter(exc.message, param_hint="BATCH") from None
        if link.kind != "batch":
            raise click.BadParameter("give a batch link, /01/<gtin>/10/<lot>", param_hint="BATCH")
        target = find_target(session, link)
        if target is None or target.batch is None:
            raise click.BadParameter(f"no batch at {link.path}", param_hint="BATCH")
        return target.batch
    batch = session.execute(select(Batch).where(Batch.public_id == reference)).scalar_one_or_none()
    if batch is None:
        raise click.BadParameter(f"no batch {reference}", param_hint="BATCH")
    return batch


class _Ticking(Sequence[Label]):
    """The labels, calling ``tick`` as the renderer iterates over them: its progress."""

    def __init__(self, labels: list[Label], tick: Callable[[], None]) -> None:
        self._labels, self._tick = labels, tick

    def __len__(self) -> int:
        return len(self._labels)

    @overload
    def __getitem__(self, index: int) -> Label: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Label]: ...
    def __getitem__(self, index: int | slice) -> Label | Sequence[Label]:
        return self._labels[index]

    def __iter__(self) -> Iterator[Label]:
        for label in self._labels:
            yield label
            self._tick()


def render(labels: list[Label], layout: SheetLayout, *, progress: bool) -> bytes:
    if not progress:
        return render_label_sheet(labels, layout)
    with click.progressbar(length=len(labels), label="drawing labels", show_pos=True) as bar:
        return render_label_sheet(_Ticking(labels, lambda: bar.update(1)), layout)


@click.command("labels")
@click.argument("batch")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write.",
)
@click.option("--columns", type=click.IntRange(1, 20), default=DEFAULT.columns, show_default=True)
@click.option("--rows", type=click.IntRange(1, 40), default=DEFAULT.rows, show_default=True)
@click.option(
    "--label-width",
    type=click.FloatRange(10, 210),
    default=DEFAULT.label_width_mm,
    show_default=True,
    help="mm",
)
@click.option(
    "--label-height",
    type=click.FloatRange(10, 297),
    default=DEFAULT.label_height_mm,
    show_default=True,
    help="mm",
)
@click.option(
    "--qr-size",
    type=click.FloatRange(8, 200),
    default=DEFAULT.qr_size_mm,
    show_default=True,
    help="mm, quiet zone included",
)
@with_appcontext
def labels(
    batch: str,
    output: Path,
    columns: int,
    rows: int,
    label_width: float,
    label_height: float,
    qr_size: float,
) -> None:
    """Print the QR stamps of BATCH's items on A4 (BATCH: public ID or /01/<gtin>/10/<lot>)."""
    try:
        layout = SheetLayout(
            columns=columns,
            rows=rows,
            label_width_mm=label_width,
            label_height_mm=label_height,
            qr_size_mm=qr_size,
            # Centre the grid on the page, whatever its size.
            margin_left_mm=max(0.0, (DEFAULT.page_width_mm - columns * label_width) / 2),
            margin_top_mm=max(0.0, (DEFAULT.page_height_mm - rows * label_height) / 2),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    require_schema()
    settings = get_settings()
    with get_database().read_sessions() as session:
        found = find_batch(session, batch)
        sheet = batch_labels(session, found, settings.public_url, vietnam_today())
    if not sheet:
        raise click.UsageError(f"batch {found.public_id} ({found.lot}) has no items to label")
    pdf = render(sheet, layout, progress=len(sheet) >= PROGRESS_FROM)
    output.write_bytes(pdf)
    pages = -(-len(sheet) // layout.labels_per_page)
    click.echo(f"wrote {len(sheet)} labels on {pages} page(s) to {output}")
