"""``python -m petitions.counting recount``: recount every petition and print the repairs.

Reads ``PETITIONS_DATABASE_URL`` (and the other ``PETITIONS_*`` settings). Waits for
the folding process's lock, folds, recomputes every count from the signatures,
repairs what differs, fires any threshold that should have fired, and prints the
repairs as JSON (an empty list when nothing had drifted). Exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from petitions.counting.service import CountFolder
from petitions.settings import PetitionsSettings
from sawt_shared.db import create_pool
from sawt_shared.logging import current_request_id
from sawt_shared.outbox import Outbox


async def _recount(settings: PetitionsSettings) -> dict[str, object]:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        outbox = Outbox(
            source=settings.service_name,
            topic_prefix=settings.topic_prefix,
            request_id=current_request_id,
        )
        report = await CountFolder(pool, outbox).recount(wait=True)
        return {
            "recount_id": report.recount_id,
            "repairs": report.repairs,
            "thresholds_fired": [f"{t.petition_id}:{t.threshold}" for t in report.thresholds],
        }
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m petitions.counting")
    parser.add_argument("command", choices=["recount"])
    parser.parse_args(argv)
    print(json.dumps(asyncio.run(_recount(PetitionsSettings())), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
