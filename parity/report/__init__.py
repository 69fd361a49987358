"""The report: the typed results of an evaluation, their JSON document and schema, rules in words."""
