-- Orders 1..500 (shared/catalog.ts): order 13 is for a recalled SKU, 77 for one kept in a far
-- warehouse, 88 for one whose warehouse feed is down; the others cycle through five fruits.
INSERT INTO orders (id, sku, quantity)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
SELECT
  i,
  CASE i
    WHEN 13 THEN 'sku-recalled'
    WHEN 77 THEN 'sku-durian'
    WHEN 88 THEN 'sku-lychee'
    ELSE (CASE i % 5 WHEN 0 THEN 'sku-apple' WHEN 1 THEN 'sku-pear' WHEN 2 THEN 'sku-plum' WHEN 3 THEN 'sku-fig' ELSE 'sku-kiwi' END)
  END,
  i % 3 + 1
FROM n;
