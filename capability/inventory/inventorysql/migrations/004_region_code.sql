-- The GB/T 2260 code of a warehouse's deepest known level in China (330106: 西湖区 of 杭州市 of
-- 浙江省; its prefixes are the city and province), so that the nearest warehouse is judged by
-- code, not by how a name was spelt. Empty outside China and for warehouses registered before.
ALTER TABLE inventory_warehouses ADD COLUMN region_code VARCHAR(12) NOT NULL DEFAULT '';
