"""REST endpoints of the platform features every record kind shares."""
