"""Promotions (khuyến mãi): dated offers a manager sets, applied by the till by one rule (see engine.py)."""
