"""Stage 7: what the pages say — document kind, fields, and a decision per field.

`classify` finds each page's kind and splits a file into its parts; `extract` (with
`official_doc` for công văn and quyết định, `idcheck` for cards' numbers, QR and MRZ) takes the
fields out; `verify` decides each field's status from every source of the dossier, with
`address` (the 2025 administrative units) and `vocabulary` (closed vocabularies) as checks.
"""
