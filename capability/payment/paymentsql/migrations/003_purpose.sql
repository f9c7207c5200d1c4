-- What each payment is for (full, deposit, balance, cod_collection): a trade may hold several,
-- and a callback settles exactly what its payment covers. Payments written before there was
-- more than one kind paid their trade in full.
ALTER TABLE payments ADD COLUMN purpose VARCHAR(16) NOT NULL DEFAULT 'full';
