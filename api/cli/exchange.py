"""``sunlight export`` and ``sunlight import``: the data interface on the local database
(docs/data-interface.md). Run where the server's data is, like ``sunlight audit``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.common import DataDir, err, settings_for
from api.service.export import Export, Format, Source, export_lines, parse_after
from api.service.imports import ImportResult, import_payments, import_projects
from api.service.notary import Notary
from api.service.records import bundle_of
from api.storage.anchors import AnchorStore
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from notary.errors import NotaryError
from notary.exchange import ImportRefused

import_app = typer.Typer(
    no_args_is_help=True, help="Bulk import from CSV: all rows or none (docs/data-interface.md)."
)


def _resume_position(path: Path, fmt: Format) -> str | None:
    """The position of the last complete line of an earlier export to ``path`` (a partial last
    line, from an export cut short, is cut off); None for an empty or absent file."""
    if not path.exists():
        return None
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as f:
            f.truncate(end)
    lines = data[:end].splitlines()
    if len(lines) < (2 if fmt == "csv" else 1):
        return None
    last = lines[-1].decode()
    if fmt == "jsonl":
        return str(json.loads(last)["position"])
    return next(csv.reader([last]))[0]


def export(
    what: Annotated[Export, typer.Argument(help="projects, records, alerts or bundles.")],
    format: Annotated[Format, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    after: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Start after this position (default: resume the --output file)."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("-o", "--output", help="Append to this file, resuming where it ends."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Export everything, private records included (this reads the database directly)."""
    if after is None and output is not None:
        after = _resume_position(output, format)
    # Appending CSV to a file that has its header already: no second one.
    written = output.stat().st_size if output is not None and output.exists() else 0
    skip_header = format == "csv" and written > 0
    notary = Notary.open(settings_for(data_dir))
    engine = notary.log.engine
    source = Source(
        engine=engine,
        projects=ProjectStore(engine),
        bundle=lambda stored: bundle_of(notary, AnchorStore(engine), PartyStore(engine), stored),
        reads_private=True,
    )
    try:
        lines = export_lines(source, what, format, parse_after(what, after))
        if skip_header:
            next(lines)
        if output is None:
            for chunk in lines:
                typer.echo(chunk.decode(), nl=False)
            return
        with output.open("ab") as f:
            for chunk in lines:
                f.write(chunk)
    finally:
        notary.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _run(
    file: Path,
    data_dir: Path | None,
    what: str,
    job: Callable[[Notary, bytes, Callable[[int], None]], ImportResult],
) -> None:
    content = file.read_bytes()
    rows = max(0, content.count(b"\n") - 1 + (not content.endswith(b"\n")))
    notary = Notary.open(settings_for(data_dir))
    try:
        with _progress() as progress:
            task = progress.add_task(f"checking {what}", total=rows)
            result = job(notary, content, lambda n: progress.advance(task, n))
            progress.update(task, description=f"appended {what}", completed=rows)
    except ImportRefused as e:
        for problem in e.errors:
            err.print(f"[red]refused[/] {problem}", highlight=False, soft_wrap=True)
        raise NotaryError(f"{e.total} rows refused; nothing was imported") from None
    finally:
        notary.close()
    summary = {
        "rows": result.rows,
        "records": result.records,
        "alerts": result.alerts,
        "first_leaf": result.first_leaf,
        "last_leaf": result.last_leaf,
    }
    print(json.dumps(summary))


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@import_app.command("projects")
def import_projects_command(file: FileArg, data_dir: DataDir = None) -> None:
    """Register the projects of a CSV file (docs/data-interface.md, Project registrations)."""
    _run(
        file,
        data_dir,
        "project registrations",
        lambda notary, content, progress: import_projects(
            notary, PartyStore(notary.log.engine), content, progress=progress
        ),
    )


@import_app.command("payments")
def import_payments_command(file: FileArg, data_dir: DataDir = None) -> None:
    """File the finance system's payments of a CSV file, each matched to its payment request; a
    mismatch becomes an alert record (docs/data-interface.md, Payments)."""
    _run(
        file,
        data_dir,
        "payments",
        lambda notary, content, progress: import_payments(
            notary,
            PartyStore(notary.log.engine),
            ProjectStore(notary.log.engine),
            content,
            progress=progress,
        ),
    )
