"""REST endpoints of the client card file, by sub-domain."""
