"""Producers, products, barcodes and VAT rates."""
