"""Layout of a read page beyond its lines: ruled tables, checkboxes, e-signature stamps and
form leaders. Pure functions: a page image and its detected lines in, structure out
(`pipeline.layout.page.analyse_page` runs them all)."""
