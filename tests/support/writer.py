"""A writer process for concurrency and crash tests.

``python -m tests.support.writer DATA_DIR COUNT [PREFIX]`` appends COUNT records one at a time
(SUNLIGHT_DATABASE_URL chooses the database) and prints each signed receipt as a JSON line, flushed,
only after the append committed.
"""

import json
import sys
from pathlib import Path

from api.service.notary import Notary
from api.settings import Settings
from notary.records import Record


def main() -> None:
    data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    prefix = sys.argv[3] if len(sys.argv) > 3 else "w"
    notary = Notary.open(Settings(data_dir=data_dir))
    try:
        for i in range(count):
            project = f"{prefix}-P{i % 3}" if i % 2 else None
            record = Record(
                submitter=prefix, project=project, data={"i": i}, received_at=notary.clock()
            )
            [accepted] = notary.submit([record])
            print(
                json.dumps({"id": accepted.record_id, **accepted.receipt.model_dump()}), flush=True
            )
    finally:
        notary.close()


if __name__ == "__main__":
    main()
