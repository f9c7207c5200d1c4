-- point: inventory.choose_warehouse
-- Ship each line from a warehouse in the buyer's province if one can fill it, else from the
-- nearest province that can (by a neighbour list), else from whichever has the most stock.
-- test: {"input": {"destination": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou", "district": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 2, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-hangzhou"}]}}
-- test: {"input": {"destination": {"country": "CN", "province": "Jiangsu", "city": "Suzhou", "district": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 2, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-hangzhou"}]}}
-- test: {"input": {"destination": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou", "district": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 9, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-beijing"}]}}

local province_of = {
  ["wh-hangzhou"] = "Zhejiang",
  ["wh-shanghai"] = "Shanghai",
  ["wh-beijing"] = "Beijing",
  ["wh-guangzhou"] = "Guangdong",
  ["wh-jingdezhen"] = "Jiangxi",
}

-- Provinces in order of distance, for the destinations this business ships to most.
local nearest = {
  Zhejiang = {"Zhejiang", "Shanghai", "Jiangsu", "Jiangxi", "Guangdong", "Beijing"},
  Jiangsu = {"Jiangsu", "Shanghai", "Zhejiang", "Jiangxi", "Beijing", "Guangdong"},
  Shanghai = {"Shanghai", "Zhejiang", "Jiangsu", "Jiangxi", "Beijing", "Guangdong"},
  Guangdong = {"Guangdong", "Jiangxi", "Zhejiang", "Shanghai", "Beijing"},
  Beijing = {"Beijing", "Jiangsu", "Shanghai", "Zhejiang", "Jiangxi", "Guangdong"},
}

local function rank(province, dest)
  local order = nearest[dest]
  if order then
    for i, p in ipairs(order) do
      if p == province then return i end
    end
  end
  return 1000
end

function run(input)
  local dest = input.destination.province or ""
  local out = {}
  for i, line in ipairs(input.lines) do
    local best, best_rank, best_avail = nil, nil, -1
    for _, w in ipairs(line.warehouses or {}) do
      if w.available >= line.quantity then
        local r = rank(province_of[w.warehouseId] or "", dest)
        if best == nil or r < best_rank or (r == best_rank and w.available > best_avail) then
          best, best_rank, best_avail = w.warehouseId, r, w.available
        end
      end
    end
    if best == nil then
      error("no warehouse can fill " .. line.skuId)
    end
    out[i] = {skuId = line.skuId, warehouseId = best}
  end
  return {lines = out}
end
