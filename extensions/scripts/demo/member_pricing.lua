-- point: pricing.unit_price
-- Member pricing: gold members pay 90% of the price, silver members 95%, rounded down to the
-- minor unit (the platform never rounds a price up). The price is what the tenant's price lists
-- give the buyer now (a sale, a channel price), else the list price. SKUs tagged
-- "no_member_discount" keep it.
-- test: {"input": {"currency": "CNY", "buyer": {"userId": "u1", "memberLevel": "gold"}, "at": 0, "lines": [{"skuId": "tea", "title": "Tea", "sellerId": "s1", "tags": [], "quantity": 2, "listPrice": 12800}, {"skuId": "cup", "title": "Cup", "sellerId": "s2", "tags": ["no_member_discount"], "quantity": 1, "listPrice": 3900}]}, "output": {"lines": [{"skuId": "tea", "unitPrice": 11520}, {"skuId": "cup", "unitPrice": 3900}]}}
-- test: {"input": {"currency": "CNY", "buyer": {"userId": "u2", "memberLevel": "silver"}, "at": 0, "lines": [{"skuId": "tea", "title": "Tea", "sellerId": "s1", "tags": [], "quantity": 1, "listPrice": 999}]}, "output": {"lines": [{"skuId": "tea", "unitPrice": 949}]}}
-- test: {"input": {"currency": "CNY", "buyer": {"userId": "u3"}, "at": 0, "lines": [{"skuId": "tea", "title": "Tea", "sellerId": "s1", "tags": [], "quantity": 1, "listPrice": 12800}]}, "output": {"lines": [{"skuId": "tea", "unitPrice": 12800}]}}
-- test: {"input": {"currency": "CNY", "buyer": {"userId": "u1", "memberLevel": "gold"}, "at": 0, "lines": [{"skuId": "tea", "title": "Tea", "sellerId": "s1", "tags": [], "quantity": 1, "listPrice": 12800, "price": 9900, "priceListId": "1111"}]}, "output": {"lines": [{"skuId": "tea", "unitPrice": 8910}]}}

local rates = {gold = 90, silver = 95}

local function has(tags, wanted)
  for _, t in ipairs(tags or {}) do
    if t == wanted then return true end
  end
  return false
end

function run(input)
  local rate = rates[input.buyer.memberLevel or ""] or 100
  local out = {}
  for i, line in ipairs(input.lines) do
    local price = line.price
    if rate < 100 and not has(line.tags, "no_member_discount") then
      price = math.floor(price * rate / 100)
    end
    out[i] = {skuId = line.skuId, unitPrice = price}
  end
  return {lines = out}
end
