-- expect: budget
function run(input)
  local s = string.rep("a", 60000)
  return {n = select(2, s:gsub(string.rep("a?", 40) .. string.rep("a", 40) .. "b", "x"))}
end
