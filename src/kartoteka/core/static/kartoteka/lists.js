// lists: issue 9 behaviour for this area; every page still works without scripts.
