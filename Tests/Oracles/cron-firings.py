#!/usr/bin/env python3
"""Prints, for each cron expression, its first COUNT firings at or after START (Unix seconds,
UTC) as croniter reads them: one line per expression, space-separated.
Usage: cron-firings.py START COUNT EXPRESSION..."""
import sys
from datetime import datetime, timezone

from croniter import croniter

start, count = int(sys.argv[1]), int(sys.argv[2])
base = datetime.fromtimestamp(start - 1, tz=timezone.utc)
for expr in sys.argv[3:]:
    it = croniter(expr, base)
    print(" ".join(str(int(it.get_next(float))) for _ in range(count)))
