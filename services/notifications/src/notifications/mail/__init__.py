"""Email: templates in the reader's language, SMTP sending, the development mail server."""
