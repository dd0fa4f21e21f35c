"""Customers (khách hàng): found by phone at the till, their purchases and loyalty points."""
