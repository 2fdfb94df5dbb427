"""一单两库: the item list and the two registries, their columns, search, edits, Excel import and export, and risk levels."""
