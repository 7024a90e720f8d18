"""What this service knows of people and organisations, from ``identity.*`` events."""
