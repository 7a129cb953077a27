"""What every registered record kind gets: sharing, bulk changes with undo, hand-over, trash..."""
