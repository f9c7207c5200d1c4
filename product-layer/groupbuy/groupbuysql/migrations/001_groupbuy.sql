-- A tenant's group-buy campaigns: the terms as the operator defined them (JSON), and whether the
-- campaign is still on.
CREATE TABLE groupbuy_campaigns (
  tenant VARCHAR(32) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  body TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, campaign_id)
);

-- A campaign's groups. A joining order locks its group's row, so that a group never takes more
-- members than its size; version guards every other write.
CREATE TABLE groupbuy_groups (
  tenant VARCHAR(32) NOT NULL,
  group_id VARCHAR(40) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  leader VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  size INT NOT NULL,
  virtual_fill INT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL,
  reason VARCHAR(32) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (tenant, group_id)
);

CREATE INDEX groupbuy_groups_by_campaign ON groupbuy_groups (tenant, campaign_id, status, created_at, group_id);

-- Each member's place: one trade in one group.
CREATE TABLE groupbuy_members (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  group_id VARCHAR(40) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  units BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  leader SMALLINT NOT NULL,
  joined_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id)
);

CREATE INDEX groupbuy_members_by_group ON groupbuy_members (tenant, group_id, joined_at);

-- How many units each buyer holds of a campaign, against its per-user cap: claimed with one
-- conditional update in the order's transaction, given back when the member's place ends.
CREATE TABLE groupbuy_claims (
  tenant VARCHAR(32) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  units BIGINT NOT NULL,
  PRIMARY KEY (tenant, campaign_id, user_id)
);
