"""``Idempotency-Key``: a retried request answers what the first one did."""
