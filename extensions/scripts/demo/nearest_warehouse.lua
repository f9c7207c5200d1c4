-- point: inventory.choose_warehouse
-- Ship each line from a warehouse in the buyer's province if one can fill it, else from the
-- nearest province that can (by a neighbour list), else from whichever has the most stock.
-- Provinces are named by GB/T 2260 code: the destination arrives resolved, however the buyer
-- wrote it (33 Zhejiang, 31 Shanghai, 32 Jiangsu, 36 Jiangxi, 44 Guangdong, 11 Beijing).
-- test: {"input": {"destination": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "", "provinceCode": "33", "cityCode": "3301", "districtCode": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 2, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-hangzhou"}]}}
-- test: {"input": {"destination": {"country": "CN", "province": "江苏省", "city": "苏州市", "district": "", "provinceCode": "32", "cityCode": "3205", "districtCode": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 2, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-hangzhou"}]}}
-- test: {"input": {"destination": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "", "provinceCode": "33", "cityCode": "3301", "districtCode": ""}, "at": 0, "lines": [{"skuId": "tea", "quantity": 9, "warehouses": [{"warehouseId": "wh-beijing", "available": 90}, {"warehouseId": "wh-hangzhou", "available": 5}]}]}, "output": {"lines": [{"skuId": "tea", "warehouseId": "wh-beijing"}]}}

local province_of = {
  ["wh-hangzhou"] = "33",
  ["wh-shanghai"] = "31",
  ["wh-beijing"] = "11",
  ["wh-guangzhou"] = "44",
  ["wh-jingdezhen"] = "36",
}

-- Provinces in order of distance, for the destinations this business ships to most.
local nearest = {
  ["33"] = {"33", "31", "32", "36", "44", "11"},
  ["32"] = {"32", "31", "33", "36", "11", "44"},
  ["31"] = {"31", "33", "32", "36", "11", "44"},
  ["44"] = {"44", "36", "33", "31", "11"},
  ["11"] = {"11", "32", "31", "33", "36", "44"},
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
  local dest = input.destination.provinceCode or ""
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
