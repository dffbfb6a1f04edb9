"""Pages of the funds app, one module per area: funds and payments, batches, rosters."""
