"""Loading: a tree of files (a folder, or a git revision) to a validated, cross-checked `Dataset`."""
