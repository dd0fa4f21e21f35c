"""Barcode labels (tem mã vạch): python-barcode patterns drawn as vector bars on reportlab pages."""

from pos.labels.render import LAYOUTS, LabelItem, LabelLayout, render_labels

__all__ = ["LAYOUTS", "LabelItem", "LabelLayout", "render_labels"]
