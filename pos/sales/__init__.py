"""Sales: till, payments, returns, receipts."""
