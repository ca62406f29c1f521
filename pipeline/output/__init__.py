"""What leaves the pipeline: searchable PDFs, page images for reviewers, package manifests."""
