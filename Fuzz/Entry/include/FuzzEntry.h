// Nothing to import: the entry point is C (entry.c).
