"""Judging: a `Dataset` and an evaluation date to a `Report` of verdicts, scores and coverage.

`evaluation.evaluate` computes the `tables` once (cells, rankings from `bars`, a plan per rule), judges each
lab in one engine session (`classify`: bar facts classified by `engine`, derive rules and commitments
fired, conditions read by `conditions`), builds each verdict with `verdicts`, then applies `waivers` and
`scores`. `incremental.Evaluator` does the same revision after revision, judging again only what a change
reaches; `ratchet` holds what labs disclosed in the past; `scope` says which labs and rules are reported.
"""
