-- expect: script|budget
function run(input)
  local s = string.rep("a", 60000)
  return {n = #(s:gsub(".", string.rep("z", 1000)))}
end
