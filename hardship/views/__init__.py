"""Pages of the hardship app, one module per area: units, files, imports."""
