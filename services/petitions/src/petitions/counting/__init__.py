"""Counting under load: signatures folded into totals, per region and per hour; thresholds."""
