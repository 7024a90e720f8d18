"""The in-app feed and its Server-Sent Events stream."""
