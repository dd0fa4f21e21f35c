"""A basket's components, and the baskets a sale sold (its component lines are ordinary sale lines)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class BasketComponent(SQLModel, table=True):
    """One product in a basket and how many of it; the packaging is a component marked as such."""

    id: int | None = Field(default=None, primary_key=True)
    basket_id: int = Field(foreign_key="product.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    is_packaging: bool = Field(default=False)
    position: int = Field(default=0)


class SaleBasket(SQLModel, table=True):
    """A basket as sold on a receipt; its components are the sale lines linked to it (SaleBasketLine)."""

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    line_no: int  # the position of the basket on the receipt: its first component line's number
    product_id: int = Field(foreign_key="product.id", index=True)
    name: str = Field(max_length=200)
    sku: str = Field(max_length=40)
    barcode: str | None = Field(default=None, max_length=14)
    qty: int
    unit_price_vnd: int
    discount_vnd: int = Field(default=0)
    total_vnd: int
    assembled_qty: int = Field(default=0)  # how many came from baskets assembled ahead


class SaleBasketLine(SQLModel, table=True):
    """Which sale lines are the components of which sold basket."""

    sale_line_id: int = Field(foreign_key="saleline.id", primary_key=True)
    sale_basket_id: int = Field(foreign_key="salebasket.id", index=True)
