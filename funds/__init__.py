"""Aid funds (帮扶资金): the ledger, budgets and disbursements; built on hardship and visits."""
