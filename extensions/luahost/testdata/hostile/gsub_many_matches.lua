-- expect: budget|script
function run(input)
  local s = string.rep("a", 60000)
  local n = 0
  for i = 1, 1000 do n = n + select(2, s:gsub("a", "b")) end
  return {n = n}
end
