"""The intake service: dossiers from the counter through OCR and review to the agency.

Depends on `pipeline` (reading), `storage` (database and object store) and `models`; only
`api/` depends on it. `service.IntakeService` wires its parts: `auth`, `dossiers` (counter),
`review`, `agency`, `packaging`; `processing/` runs the page jobs.
"""
