-- When each order was delivered (unix ms; 0 before delivery, and on orders delivered before it was
-- kept, whose return window is then counted from their last change): the return window of
-- after-sale runs from it.
ALTER TABLE orders ADD COLUMN delivered_at BIGINT NOT NULL DEFAULT 0;
