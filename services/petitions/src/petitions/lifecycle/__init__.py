"""A petition's life: draft, sponsors, moderation, open, closed, responded; audited."""
