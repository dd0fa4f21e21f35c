"""Gift baskets (giỏ quà): a product of its own made of other producers' products."""
