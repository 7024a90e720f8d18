"""Official responses of the target authority, and the deadlines they meet."""
