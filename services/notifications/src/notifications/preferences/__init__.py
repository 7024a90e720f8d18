"""Per-category preferences and one-click unsubscribe."""
