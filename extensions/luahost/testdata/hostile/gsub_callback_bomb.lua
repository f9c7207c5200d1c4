-- expect: script|budget
function run(input)
  local s = string.rep("a", 60000)
  local r = s:gsub(".", function(c) return string.rep("b", 200) end)
  return {n = #r}
end
