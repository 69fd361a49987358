"""History: the revisions of the data evaluated in turn, and what got worse between them."""
