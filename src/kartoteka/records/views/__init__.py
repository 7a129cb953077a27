"""Pages of the platform features every record kind shares."""
