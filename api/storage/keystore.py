"""Load the notary key from settings, or from DATA_DIR (generated on first run, mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from api.settings import Settings
from notary.errors import KeyMaterialError
from notary.signing import NotaryKey

KEY_FILE = "notary_key.pem"


def load_notary_key(settings: Settings) -> NotaryKey:
    pem = settings.notary_key.get_secret_value()
    if pem:
        return NotaryKey.from_pem(pem.encode())
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyMaterialError(
            f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
        )
    return NotaryKey.from_pem(path.read_bytes())


def _create_key_file(path: Path) -> None:
    """Write a new key with mode 0600 from the start; lose no race with another first run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = NotaryKey.from_seed(os.urandom(32))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.to_pem())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key first: keep theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
