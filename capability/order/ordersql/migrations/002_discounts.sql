ALTER TABLE order_lines ADD COLUMN discount BIGINT NOT NULL DEFAULT 0;

ALTER TABLE orders ADD COLUMN subtotal BIGINT NOT NULL DEFAULT 0;

ALTER TABLE orders ADD COLUMN discount BIGINT NOT NULL DEFAULT 0;

ALTER TABLE orders ADD COLUMN shipping_fee BIGINT NOT NULL DEFAULT 0;

UPDATE orders SET subtotal = total;

CREATE TABLE order_discounts (
  tenant VARCHAR(32) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  seq INT NOT NULL,
  promotion_id VARCHAR(64) NOT NULL,
  name VARCHAR(320) NOT NULL,
  coupon_code VARCHAR(32) NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (tenant, order_id, seq)
);
