-- point: limits.check
-- Gold members may buy twice what a per-user limit allows everyone else. A cart of more than 50
-- units in all is refused: bulk buyers go through the wholesale channel.
-- test: {"input": {"at": 0, "userId": "u1", "memberLevel": "gold", "lines": [{"skuId": "tea", "categories": [], "quantity": 2}], "rules": [{"ruleId": "one-each", "name": "One each", "kind": "per_user", "period": "day", "unit": "quantity", "max": 1, "used": 0, "cart": 2}, {"ruleId": "per-order", "name": "Five per order", "kind": "per_order", "unit": "quantity", "max": 5, "used": 0, "cart": 2}]}, "output": {"max": [{"ruleId": "one-each", "max": 2}]}}
-- test: {"input": {"at": 0, "userId": "u2", "lines": [{"skuId": "tea", "categories": [], "quantity": 51}], "rules": []}, "output": {"reject": true, "message": "Orders of more than 50 units go through our wholesale channel."}}
-- test: {"input": {"at": 0, "userId": "u3", "lines": [{"skuId": "tea", "categories": [], "quantity": 1}], "rules": [{"ruleId": "one-each", "name": "One each", "kind": "per_user", "period": "day", "unit": "quantity", "max": 1, "used": 0, "cart": 1}]}, "output": {}}

function run(input)
  local units = 0
  for _, line in ipairs(input.lines) do
    units = units + line.quantity
  end
  if units > 50 then
    return {reject = true, message = "Orders of more than 50 units go through our wholesale channel."}
  end
  local out = {}
  if input.memberLevel == "gold" then
    local max = {}
    for _, r in ipairs(input.rules) do
      if r.kind == "per_user" then
        max[#max + 1] = {ruleId = r.ruleId, max = r.max * 2}
      end
    end
    if #max > 0 then out.max = max end
  end
  return out
end
