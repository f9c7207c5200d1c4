-- expect: budget
function run(input)
  local s = string.rep("a", 60000)
  return {i = s:find(string.rep("a?", 40) .. string.rep("a", 40) .. "b")}
end
