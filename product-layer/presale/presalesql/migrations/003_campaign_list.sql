-- Operators list campaigns newest first, all or by status: when each was created (unix ms;
-- campaigns created before this column take their last change).
ALTER TABLE presale_campaigns ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
UPDATE presale_campaigns SET created_at = updated_at;
CREATE INDEX presale_campaigns_by_created ON presale_campaigns (tenant, created_at, campaign_id);
CREATE INDEX presale_campaigns_by_status ON presale_campaigns (tenant, status, created_at, campaign_id);
