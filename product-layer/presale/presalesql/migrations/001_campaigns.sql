-- A tenant's pre-sale campaigns: the terms as the operator defined them (JSON), and whether the
-- campaign is still on.
CREATE TABLE presale_campaigns (
  tenant VARCHAR(32) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  body TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, campaign_id)
);
