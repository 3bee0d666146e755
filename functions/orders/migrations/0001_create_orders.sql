-- The shop's orders: one row per order, the SKU it is for and how many.
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0)
);
