-- expect: budget
function run(input)
  local s = string.rep("a", 60000)
  local p = string.rep("a?", 40) .. string.rep("a", 40) .. "b"
  while true do pcall(string.find, s, p) end
end
