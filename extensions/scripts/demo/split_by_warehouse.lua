-- point: splitting.split_key
-- One child order per warehouse within each seller: each parcel leaves from one place and is
-- tracked on its own.
-- test: {"input": {"at": 0, "lines": [{"skuId": "a", "sellerId": "s1", "warehouseId": "wh-1", "tags": [], "quantity": 1, "unitPrice": 100}, {"skuId": "b", "sellerId": "s1", "warehouseId": "wh-2", "tags": [], "quantity": 1, "unitPrice": 100}, {"skuId": "c", "sellerId": "s1", "warehouseId": "wh-1", "tags": [], "quantity": 1, "unitPrice": 100}]}, "output": {"keys": ["wh-1", "wh-2", "wh-1"]}}

function run(input)
  local keys = {}
  for i, line in ipairs(input.lines) do
    keys[i] = line.warehouseId
  end
  return {keys = keys}
end
