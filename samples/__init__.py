"""Synthetic Vietnamese dossier pages with exact ground truth ("sohoa-samples/1").

Public API: `samples.generate.generate_document`, `samples.generate.write_set`; CLI
`python -m samples.generate`. Every output is synthetic and marked SPECIMEN.
"""
