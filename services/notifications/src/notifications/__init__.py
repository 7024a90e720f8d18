"""Sawt notifications: Email, webhooks and the in-app feed, from the platform's events."""
