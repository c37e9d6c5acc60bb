"""Node.js for the tests of the pages' JavaScript (api/static): run it, read the JSON it writes."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.conftest import require


def run_node(*args: str, stdin: str = "") -> Any:
    """``node *args`` with ``stdin``; the JSON value it wrote to stdout (it must exit 0)."""
    node = shutil.which("node")
    require(node is not None, "Node.js")
    assert node is not None
    result = subprocess.run(
        [node, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
