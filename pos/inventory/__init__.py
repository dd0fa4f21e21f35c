"""Stock intake from producers and the stock ledger."""
