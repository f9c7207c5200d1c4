-- How a sale that did not go ahead ended: forfeited (the winner did not pay, or cancelled) or
-- released (an operator cancelled it and gave the deposit back); empty while it may go ahead.
ALTER TABLE auction_sales ADD COLUMN outcome VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE auction_sales ADD COLUMN ended_at BIGINT NULL;
