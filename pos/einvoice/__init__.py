"""E-invoices generated from the cash register (hóa đơn điện tử khởi tạo từ máy tính tiền)."""
