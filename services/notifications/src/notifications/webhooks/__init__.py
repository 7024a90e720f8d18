"""Signed webhooks for organisations and government clients."""
