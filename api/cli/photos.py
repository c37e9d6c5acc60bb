"""``sunlight photos reindex``: the site photo index rebuilt from the log and the files."""

from __future__ import annotations

import typer

from api.cli.common import DataDir, out, settings_for
from api.service.evidence import photo_policy
from api.service.notary import Notary
from api.service.photos import SitePhotos
from api.storage.blobs import blob_store_from_settings
from api.storage.photos import PhotoIndex
from api.storage.projects import ProjectStore

photos_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Site photos: their evidence index."
)


@photos_app.command("reindex")
def reindex(data_dir: DataDir = None) -> None:
    """Flag and index every site photo in the log that the index lacks (a server stopped between
    appending a photo and indexing it), reading each from its notarized file. Safe to repeat."""
    settings = settings_for(data_dir)
    notary = Notary.open(settings)
    blobs = blob_store_from_settings(settings)
    try:
        engine = notary.log.engine
        photos = SitePhotos(PhotoIndex(engine), ProjectStore(engine), photo_policy(settings))
        added = photos.reindex(notary.log, blobs)
    finally:
        blobs.close()
        notary.close()
    out.print(f"indexed {added} site photo(s)")
