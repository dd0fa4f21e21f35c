"""Company orders and quotes (đơn đặt hàng / báo giá): many baskets and products, stock reserved, paid by transfer."""
