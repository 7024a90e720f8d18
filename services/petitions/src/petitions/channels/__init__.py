"""Channels: where a petition goes and the rules it follows, kept as data."""
