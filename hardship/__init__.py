"""Hardship files (困难职工档案) and the base of the product: the union-unit tree and its users."""
