-- expect: script|budget
function run(input)
  local s = string.rep("a", 200000)
  return {i = s:find("b")}
end
