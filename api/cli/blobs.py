"""``sunlight blobs ...``: migrate local blobs into IPFS, check every blob and its replicas, erase
one (takedown)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli.common import DataDir, err, out, settings_for
from api.settings import Settings
from api.storage.blobs import (
    KuboBlobStore,
    LocalBlobStore,
    ReplicatedBlobStore,
    blob_store_from_settings,
    parse_kek,
)
from api.storage.blobs.ops import (
    FileReplication,
    check_blobs,
    check_replication,
    erase_blob,
    migrate_blobs,
)
from notary.errors import NotaryError

blobs_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Blob store operations: migrate to IPFS, check, erase.",
)


def _kek(settings: Settings) -> bytes | None:
    secret = settings.blob_kek.get_secret_value()
    return parse_kek(secret) if secret else None


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except NotaryError as exc:
        err.print(f"[red]error[/]: {exc.diagnostics()}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def log_blob_digests(settings: Settings) -> list[tuple[str, str | None]] | None:
    """``(content_cid, content_sha256)`` of every log entry with a blob; None without a log."""
    import sqlalchemy as sa  # noqa: PLC0415 - only this command reads the log

    url = settings.sqlalchemy_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("entries"):
                return None
            rows = conn.execute(
                sa.text(
                    "SELECT content_cid, content_sha256 FROM entries WHERE content_cid IS NOT NULL"
                )
            )
            return [(str(cid), None if sha is None else str(sha)) for cid, sha in rows]
    except sa.exc.SQLAlchemyError as exc:
        raise NotaryError(f"cannot read the log's blob digests: {exc}") from exc
    finally:
        engine.dispose()


@blobs_app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="Target store; only 'ipfs' exists.")],
    ipfs_api: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--ipfs-api", help="Kubo RPC URL (default: SUNLIGHT_IPFS_API)."),
    ] = None,
    remove_local: Annotated[
        bool, typer.Option("--remove-local", help="Delete each local blob once verified in IPFS.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Copy every local blob into IPFS and check that the node gives each the same CID."""
    if to != "ipfs":
        err.print("[red]error[/]: --to must be 'ipfs'")
        raise typer.Exit(2)
    settings = settings_for(data_dir)
    url = ipfs_api or settings.ipfs_api
    if not url:
        err.print("[red]error[/]: give --ipfs-api or set SUNLIGHT_IPFS_API")
        raise typer.Exit(2)
    with _errors():
        kek = _kek(settings)
        source = LocalBlobStore(settings.data_dir / "blobs", kek=kek)
        with KuboBlobStore(url, meta_dir=settings.data_dir / "blob-meta", kek=kek) as target:
            report = migrate_blobs(
                source,
                target,
                remove_local=remove_local,
                progress=lambda cid: err.print(f"  copied {cid}", highlight=False),
            )
    out.print(
        f"[green]migrated[/] {len(report.copied)} blobs ({report.bytes_copied} bytes) and "
        f"{len(report.tombstones)} tombstones to {url}; every CID matched"
        + (f"; removed {len(report.removed_local)} local copies" if remove_local else ""),
        soft_wrap=True,
    )
    if not settings.ipfs_api:
        out.print(f"Set SUNLIGHT_IPFS_API={url} to serve blobs from IPFS.", soft_wrap=True)


@blobs_app.command()
def check(
    store_only: Annotated[
        bool,
        typer.Option(
            "--store-only", help="Check the store's own metadata only, not the log's digests."
        ),
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Copy each public file to the nodes that lack it (CID checked) and remove "
            "private or erased files found on a replica (needs SUNLIGHT_IPFS_REPLICAS).",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Re-verify every blob: stored bytes against the CID, content against the log's SHA-256;
    with SUNLIGHT_IPFS_REPLICAS, also on which nodes each file is (every public file must be on
    every node, private ones on the primary only)."""
    settings = settings_for(data_dir)
    replicated = True
    with _errors():
        store = blob_store_from_settings(settings)
        if repair and not isinstance(store, ReplicatedBlobStore):
            err.print("[red]error[/]: --repair needs SUNLIGHT_IPFS_REPLICAS")
            raise typer.Exit(2)
        expected = None if store_only else log_blob_digests(settings)
        if expected is None and not store_only:
            err.print("no log found: checking the store against its own metadata")
        if isinstance(store, ReplicatedBlobStore):
            cids = store.iter_cids() if expected is None else (cid for cid, _ in expected)
            replicated = _check_replication(store, cids, repair=repair)
        report = check_blobs(store, expected)
    for problem in report.problems:
        out.print(f"[red]{problem.kind.upper()}[/] {problem.cid}: {problem.detail}", soft_wrap=True)
    for cid in report.ciphertext_only:
        out.print(
            f"[yellow]ENCRYPTED[/] {cid}: ciphertext checked; set SUNLIGHT_BLOB_KEK to check "
            "the content",
            soft_wrap=True,
        )
    summary = f"{report.checked} blobs checked, {report.ok} ok, {len(report.erased)} erased"
    if report.healthy and replicated:
        out.print(f"[green]check passed[/]: {summary}", soft_wrap=True)
    else:
        bad = f"{summary}, {len(report.problems)} bad" + ("" if replicated else ", not replicated")
        out.print(f"[red]check FAILED[/]: {bad}", soft_wrap=True)
        raise typer.Exit(1)


def _print_file(found: FileReplication) -> None:
    if found.leaked:
        label = "[red]LEAKED[/]"  # a private or erased file on another organisation's node
    elif found.lost:
        label = "[red]LOST[/]"
    elif found.under_replicated:
        label = "[red]UNDER-REPLICATED[/]"
    else:
        label = {"public": "[green]REPLICATED[/]", "private": "PRIVATE", "erased": "ERASED"}.get(
            found.kind, found.kind.upper()
        )
    nodes = ", ".join(f"{name} {state}" for name, state in found.nodes)
    out.print(f"{label} {found.cid} {found.copies}/{len(found.nodes)}: {nodes}", soft_wrap=True)


def _check_replication(store: ReplicatedBlobStore, cids: Iterable[str], *, repair: bool) -> bool:
    """One line per file (which nodes hold it), then the figures; True when every public file
    is on every node and no private or erased file on a replica."""
    report = check_replication(store, cids, repair=repair, progress=_print_file)
    f = report.figures()
    nodes = 1 + len(store.replicas)
    line = (
        f"replication: {f['replicated']} of {f['public']} public files on all {nodes} nodes, "
        f"{f['under_replicated']} under-replicated, {f['private']} private (primary only), "
        f"{f['leaked']} leaked, {f['lost']} lost"
        + (f"; repaired {len(report.repaired)}" if repair else "")
        + f"; {len(store.pending())} queued"
    )
    out.print(f"[{'green' if report.healthy else 'red'}]{line}[/]", soft_wrap=True)
    return report.healthy


@blobs_app.command()
def erase(
    cid: Annotated[str, typer.Argument(help="CID of the blob to erase.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the tombstone).")],
    data_dir: DataDir = None,
) -> None:
    """Personal-data takedown: delete a blob's bytes, keep a tombstone; records stay valid."""
    settings = settings_for(data_dir)
    with _errors():
        stone = erase_blob(blob_store_from_settings(settings), cid, reason=reason)
    out.print(f"[green]erased[/] {stone.cid} at {stone.erased_at}: {stone.reason}", soft_wrap=True)
