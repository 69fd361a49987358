"""Evidence that stays verifiable (`parity sources`, docs/sources.md): every URL the data cites fetched, its
text read, every quote looked up, and the result kept in a record beside the profiles that `check` reads.

`citations` walks a Dataset for its evidence; `fetch` gets one URL, bounded, polite and from public
addresses only; `text` turns a body into normalised text and looks quotes up in it; `archive` asks a web
archive to keep a copy; `run` checks the chosen URLs and merges the results; `record` reads, writes and
merges the record, and gives `check` its notes. Only `fetch`, `archive` and `run` touch the network, and
nothing outside `parity sources` imports them.
"""
