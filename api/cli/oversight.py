"""``sunlight oversight run``: the rules run over the log, each new alert notarized once."""

from __future__ import annotations

import typer

from api.cli.common import DataDir, out, settings_for
from api.service.notary import Notary
from api.service.oversight import Oversight, config_from_settings, now_in

oversight_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Oversight: indicators and risk alerts."
)


@oversight_app.command("run")
def run(data_dir: DataDir = None) -> None:
    """Run every enabled rule (thresholds: SUNLIGHT_OVERSIGHT_RULES) and notarize the alerts not
    yet in the log. Safe to repeat: an alert already notarized is not filed again."""
    settings = settings_for(data_dir)
    config = config_from_settings(settings)
    notary = Notary.open(settings)
    try:
        result = Oversight.open(notary, settings).run(now_in(settings), config)
    finally:
        notary.close()
    out.print(
        f"{result.projects} project(s) overseen, {result.raised} alert(s) raised, "
        f"{len(result.notarized)} new alert(s) notarized"
    )
    for accepted in result.notarized:
        data = accepted.entry.record.data
        out.print(
            f"  {data['rule']} {data['id'][:16]} record {accepted.record_id}", highlight=False
        )
