-- Pending payments by age: the sweep that closes intents never registered with their provider
-- reads them without scanning every payment.
CREATE INDEX payments_by_status ON payments (status, created_at);
