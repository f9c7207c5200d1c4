-- point: discount.promotions
-- Gold members get 5% off the whole order, on what it costs after the platform's promotions
-- (promotions apply from the highest priority down; this one's -1000 puts it last). Promotions whose id starts with "app-" are app-only: they are vetoed for
-- buyers on any other channel (the mini-program, say).
-- test: {"input": {"at": 0, "currency": "CNY", "buyer": {"userId": "u1", "memberLevel": "gold", "channel": "app"}, "coupons": [], "lines": [{"skuId": "tea", "sellerId": "s1", "categories": [], "quantity": 1, "unitPrice": 10000, "total": 10000}], "promotions": [{"id": "app-launch", "name": "Launch", "kind": "amount_off", "currency": "CNY", "scope": {}, "amount": 500}]}, "output": {"add": [{"id": "gold-5", "name": "Gold members 5% off", "kind": "percent_off", "currency": "CNY", "scope": {}, "percent": 500, "priority": -1000}]}}
-- test: {"input": {"at": 0, "currency": "CNY", "buyer": {"userId": "u2", "channel": "mp"}, "coupons": [], "lines": [{"skuId": "tea", "sellerId": "s1", "categories": [], "quantity": 1, "unitPrice": 10000, "total": 10000}], "promotions": [{"id": "app-launch", "name": "Launch", "kind": "amount_off", "currency": "CNY", "scope": {}, "amount": 500}, {"id": "spring", "name": "Spring", "kind": "amount_off", "currency": "CNY", "scope": {}, "amount": 100}]}, "output": {"veto": ["app-launch"]}}

function run(input)
  local out = {}
  if input.buyer.channel ~= "app" then
    local veto = {}
    for _, p in ipairs(input.promotions) do
      if string.sub(p.id, 1, 4) == "app-" then
        veto[#veto + 1] = p.id
      end
    end
    if #veto > 0 then out.veto = veto end
  end
  if input.buyer.memberLevel == "gold" then
    out.add = {{id = "gold-5", name = "Gold members 5% off", kind = "percent_off", currency = input.currency,
      percent = 500, priority = -1000}}
  end
  return out
end
