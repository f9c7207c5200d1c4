-- expect: budget
function run(input)
  local s = string.rep("a", 60000)
  local n = 0
  for _ in s:gmatch(string.rep("a?", 40) .. string.rep("a", 40) .. "b") do n = n + 1 end
  return {n = n}
end
