"""Sawt identity: Who everyone is: accounts, organisations, roles, and the OAuth 2.0 / OpenID Connect provider that issues every token."""
