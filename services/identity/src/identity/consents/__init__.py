"""Consents to third-party clients: remembered, listed and withdrawn by their user."""
