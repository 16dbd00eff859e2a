"""Numbers in paths and queries, bounded by what the database holds: a larger one is answered
422 rather than overflowing in the database driver (a 500).

Row ids are INTEGER columns (32-bit in PostgreSQL); offsets are 64-bit in both databases.
"""

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**31 - 1
MAX_OFFSET = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]
