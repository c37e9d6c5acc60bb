"""The ``sunlight`` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

from api.cli.blobs import blobs_app
from api.cli.chain import anchorer_command, contract_app
from api.cli.common import DataDir, err, out, settings_for
from api.cli.exchange import export, import_app
from api.cli.keys import keygen, sign
from api.cli.oversight import oversight_app
from api.cli.parties import party_app
from api.cli.photos import photos_app
from api.cli.verify import verify
from api.cli.verify_project import verify_project
from api.recursion import restore_recursion_limit
from api.service.audit import audit_log
from api.service.lifecycle import acting_role, attribute, people_of
from api.service.notary import Notary
from api.service.records import file_record, refuse_reserved
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from notary import jsonin
from notary.errors import NotaryError, NotFoundError, RecordError
from notary.signing import Checkpoint

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Sunlight: tamper-evident records for small public works projects.",
)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=True,
    )


@app.command()
def stamp(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    submitter: Annotated[str, typer.Option(help="Party id of the submitter.")] = "cli",
    project: Annotated[Optional[str], typer.Option(help="Project code.")] = None,  # noqa: UP045
    stage: Annotated[Optional[str], typer.Option(help="Lifecycle stage.")] = None,  # noqa: UP045
    kind: Annotated[str, typer.Option(help="Record kind.")] = "document",
    data: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="The records' data, a JSON object (e.g. '{\"percent\": 40}')."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Hash files, append a record for each, and print the signed receipts (JSON lines).

    The submitter is looked up as for POST /v1/records: their organisation is written into each
    record, and a record of a registered project is judged by the lifecycle, acting for their
    organisation (data.actor, when not given, is their organisation and the role they file the
    kind in). A refusal is one line on stderr, naming the rule."""
    refuse_reserved(kind, "--kind")
    fields = _data_object(data)
    notary = Notary.open(settings_for(data_dir))
    parties = PartyStore(notary.log.engine)
    try:
        if project is not None and "actor" not in fields:
            fields = _acting(notary, parties, submitter, project, kind, fields)
        total = sum(f.stat().st_size for f in files)
        show = len(files) > 3 or total > 64 * 1024**2
        with _progress() as progress:
            task = progress.add_task("stamping", total=total, visible=show)
            for f in files:
                record = file_record(
                    f,
                    sm3=notary.settings.sm3,
                    submitter=submitter,
                    clock=notary.clock,
                    project=project,
                    stage=stage,
                    kind=kind,
                    data=fields,
                )
                record, people = attribute(parties, record)
                [accepted] = notary.submit([record], people=people)
                progress.advance(task, f.stat().st_size)
                line = {"file": str(f), "id": accepted.record_id, **accepted.receipt.model_dump()}
                out.print_json(json.dumps(line)) if out.is_terminal else print(json.dumps(line))
    finally:
        notary.close()


def _data_object(text: str | None) -> dict[str, Any]:
    value = {} if text is None else jsonin.loads(text, what="--data")
    if not isinstance(value, dict):
        raise RecordError("--data must be a JSON object", field="--data")
    return value


def _acting(
    notary: Notary, parties: PartyStore, submitter: str, code: str, kind: str, data: dict[str, Any]
) -> dict[str, Any]:
    """``data`` with the submitter's ``actor`` when the project is registered and the submitter
    is a person with an organisation and lifecycle roles (otherwise the gate says what is wrong)."""
    try:
        ProjectStore(notary.log.engine).project(code)
    except NotFoundError:
        return data  # a project outside the lifecycle
    actor = people_of(parties, {submitter}).get(submitter)
    if actor is None:
        return data
    return {
        **data,
        "actor": {"organisation": actor.organisation, "role": acting_role(actor, kind).value},
    }


@app.command()
def checkpoint(data_dir: DataDir = None) -> None:
    """Publish a signed checkpoint of the log as it is now."""
    notary = Notary.open(settings_for(data_dir))
    try:
        print(json.dumps(notary.publish_checkpoint().model_dump()))
    finally:
        notary.close()


@app.command()
def proof(
    record_id: str,
    output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,  # noqa: UP045
    data_dir: DataDir = None,
) -> None:
    """Write the proof bundle of a record (publishing a checkpoint first if none covers it)."""
    notary = Notary.open(settings_for(data_dir))
    try:
        stored = notary.log.get(record_id)
        try:
            cp: Checkpoint | None = notary.log.checkpoint()
        except NotFoundError:
            cp = None
        if cp is None or cp.tree_size <= stored.index:
            cp = notary.publish_checkpoint()
        text = json.dumps(notary.bundle(stored, checkpoint=cp).to_json(), indent=2)
        if output:
            output.write_text(text + "\n")
        else:
            print(text)
    finally:
        notary.close()


@app.command()
def audit(data_dir: DataDir = None) -> None:
    """Recompute every leaf and the tree from the stored entries; name every row that differs."""
    notary = Notary.open(settings_for(data_dir))
    try:
        report = audit_log(
            notary.log,
            public_key=notary.key.public_key,
            progress=lambda n: err.print(f"  {n} entries checked", highlight=False),
            rules=notary.rules,
        )
    finally:
        notary.close()
    for finding in report.findings:
        out.print(f"[red]TAMPERED[/] {finding}", highlight=False, soft_wrap=True)
    summary = (
        f"{report.entries} entries, {report.nodes} subtree hashes, {report.checkpoints} "
        f"checkpoints, {report.projects} project states"
    )
    if report.ok:
        out.print(f"[green]audit passed[/]: {summary} recomputed, all match", soft_wrap=True)
    else:
        out.print(
            f"[red]audit FAILED[/]: {len(report.findings)} findings in {summary}", soft_wrap=True
        )
        raise typer.Exit(1)


@app.command()
def demo(
    data_dir: DataDir = None,
    keep_serving: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--keep-serving/--no-keep-serving",
            help="Keep the server up afterwards (default: when run in a terminal).",
        ),
    ] = None,
) -> None:
    """The main job end to end: serve, notarize a project's records, anchor, verify three ways."""
    from api.run.demo import run_demo  # noqa: PLC0415

    interactive = sys.stdin.isatty() and os.environ.get("CI") != "true"
    run_demo(
        settings_for(data_dir),
        out,
        keep_serving=interactive if keep_serving is None else keep_serving,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    anchor: Annotated[
        bool, typer.Option("--anchor/--no-anchor", help="Run the anchorer in the server.")
    ] = True,
    data_dir: DataDir = None,
) -> None:
    """Run the API, the verification page and the anchorer (embedded defaults need no settings)."""
    from api.run import serving  # noqa: PLC0415

    if data_dir is not None:  # the workers read their settings from the environment
        os.environ["SUNLIGHT_DATA_DIR"] = str(data_dir)
    os.environ["SUNLIGHT_SERVE_ANCHORER"] = "true" if anchor else "false"
    settings = settings_for(data_dir)
    if workers > 1 and not settings.chain_rpc_url:
        raise NotaryError(
            "the embedded chain lives in one process: use --workers 1, or a real chain node "
            "(SUNLIGHT_CHAIN_RPC_URL) for several workers"
        )
    err.print(f"Sunlight on http://{host}:{port}  (verification page: /verify, API docs: /docs)")
    serving.run(
        "api.app:app_from_env",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


app.add_typer(party_app, name="party")
app.command()(verify)
app.command()(keygen)
app.command()(sign)
app.command("verify-project")(verify_project)
app.add_typer(blobs_app, name="blobs")
app.add_typer(photos_app, name="photos")
app.add_typer(oversight_app, name="oversight")
app.command()(export)
app.add_typer(import_app, name="import")
app.add_typer(contract_app, name="contract")
app.command("anchorer")(anchorer_command)


def main() -> None:
    """The one place the CLI catches the error root: a usage or configuration error (an invalid
    setting is a :class:`~api.settings.SettingsError`) or any other refusal is one line on
    stderr and exit status 2, never a traceback. (Click itself exits 2 for bad arguments.)"""
    restore_recursion_limit()
    try:
        app()
    except NotaryError as e:
        err.print(f"[red]error:[/] {escape(e.diagnostics())}", highlight=False, soft_wrap=True)
        sys.exit(2)
