"""Every write to the card file: companies, contacts and what hangs off them."""
