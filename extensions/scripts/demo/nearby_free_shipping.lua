-- point: delivery.shipping_fee
-- Shipping is free to the provinces next to our warehouses (Zhejiang, Shanghai, Jiangsu, by their
-- GB/T 2260 codes: the destination arrives resolved, however the buyer wrote it) and twice the
-- template's fee abroad; elsewhere the sellers' templates apply.
-- test: {"input": {"currency": "CNY", "destination": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "", "provinceCode": "33", "cityCode": "3301", "districtCode": ""}, "at": 0, "sellers": [{"sellerId": "s1", "goods": 5000, "orders": [{"key": "wh-a", "goods": 5000}], "fee": 1000}]}, "output": {"fees": [0]}}
-- test: {"input": {"currency": "CNY", "destination": {"country": "US", "province": "CA", "city": "SF", "district": "", "provinceCode": "", "cityCode": "", "districtCode": ""}, "at": 0, "sellers": [{"sellerId": "s1", "goods": 5000, "orders": [{"key": "wh-a", "goods": 5000}], "fee": 1000}, {"sellerId": "s2", "goods": 10, "orders": [{"key": "", "goods": 10}], "fee": 0}]}, "output": {"fees": [2000, 0]}}
-- test: {"input": {"currency": "CNY", "destination": {"country": "CN", "province": "北京市", "city": "北京市", "district": "", "provinceCode": "11", "cityCode": "1101", "districtCode": ""}, "at": 0, "sellers": [{"sellerId": "s1", "goods": 5000, "orders": [{"key": "wh-a", "goods": 5000}], "fee": 1000}]}, "output": {"fees": [1000]}}

local free = {["33"] = true, ["31"] = true, ["32"] = true} -- Zhejiang, Shanghai, Jiangsu

function run(input)
  local dest = input.destination or {}
  local fees = {}
  for i, seller in ipairs(input.sellers) do
    if dest.country == "CN" and free[dest.provinceCode] then
      fees[i] = 0
    elseif dest.country ~= "" and dest.country ~= "CN" then
      fees[i] = seller.fee * 2
    else
      fees[i] = seller.fee
    end
  end
  return {fees = fees}
end
