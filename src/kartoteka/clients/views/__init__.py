"""Pages of the client card file, by sub-domain."""
