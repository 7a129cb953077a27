"""A record kind that exists only in the tests: gadgets, which get every platform feature by
registering (custom fields, tags, saved views, group rules, bulk changes with undo, export,
duplicates, trash, hand-over, search and a row in the role editor)."""
