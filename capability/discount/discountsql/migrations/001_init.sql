CREATE TABLE discount_promotions (
  tenant VARCHAR(32) NOT NULL,
  promotion_id VARCHAR(64) NOT NULL,
  body TEXT NOT NULL,
  ends_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, promotion_id)
);

CREATE TABLE discount_coupons (
  tenant VARCHAR(32) NOT NULL,
  code VARCHAR(32) NOT NULL,
  promotion_id VARCHAR(64) NOT NULL,
  total_uses BIGINT NOT NULL,
  per_user BIGINT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_to BIGINT NOT NULL,
  used BIGINT NOT NULL,
  PRIMARY KEY (tenant, code)
);

CREATE INDEX discount_coupons_by_promotion ON discount_coupons (tenant, promotion_id);

CREATE TABLE discount_campaigns (
  tenant VARCHAR(32) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  name VARCHAR(320) NOT NULL,
  currency CHAR(3) NOT NULL,
  budget BIGINT NOT NULL,
  spent BIGINT NOT NULL,
  PRIMARY KEY (tenant, campaign_id)
);

CREATE TABLE discount_redemptions (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  kind VARCHAR(8) NOT NULL,
  ref VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  amount BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id, kind, ref)
);

CREATE INDEX discount_redemptions_by_user ON discount_redemptions (tenant, kind, ref, user_id);
