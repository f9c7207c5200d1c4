-- point: order.validate
-- Cross-border goods clear customs under the buyer's identity and ship separately, so an order
-- may not mix SKUs tagged "cross_border" with domestic ones. A rule that ran before this one
-- and rejected stays rejected.
-- test: {"input": {"userId": "u1", "currency": "CNY", "total": 300, "address": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou", "district": "", "postalCode": ""}, "at": 0, "lines": [{"skuId": "milk", "title": "Milk powder", "sellerId": "s1", "warehouseId": "w", "tags": ["cross_border"], "quantity": 1, "unitPrice": 200, "total": 200}, {"skuId": "tea", "title": "Tea", "sellerId": "s1", "warehouseId": "w", "tags": [], "quantity": 1, "unitPrice": 100, "total": 100}]}, "previous": {"reject": false, "message": ""}, "output": {"reject": true, "message": "Cross-border items must be ordered separately from domestic items."}}
-- test: {"input": {"userId": "u1", "currency": "CNY", "total": 200, "address": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou", "district": "", "postalCode": ""}, "at": 0, "lines": [{"skuId": "milk", "title": "Milk powder", "sellerId": "s1", "warehouseId": "w", "tags": ["cross_border"], "quantity": 1, "unitPrice": 200, "total": 200}]}, "previous": {"reject": false, "message": ""}, "output": {"reject": false, "message": ""}}

local function cross_border(line)
  for _, t in ipairs(line.tags or {}) do
    if t == "cross_border" then return true end
  end
  return false
end

function run(input, previous)
  if previous and previous.reject then
    return previous
  end
  local cb, domestic = false, false
  for _, line in ipairs(input.lines) do
    if cross_border(line) then cb = true else domestic = true end
  end
  if cb and domestic then
    return {reject = true, message = "Cross-border items must be ordered separately from domestic items."}
  end
  return {reject = false, message = ""}
end
