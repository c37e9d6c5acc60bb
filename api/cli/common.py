"""What every ``sunlight`` sub-command shares: the consoles, the --data-dir option, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from api.settings import Settings

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option(
        "--data-dir", help="Data directory (default: SUNLIGHT_DATA_DIR or ./sunlight-data)."
    ),
]


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with --data-dir taking precedence."""
    return Settings(data_dir=data_dir) if data_dir else Settings()
