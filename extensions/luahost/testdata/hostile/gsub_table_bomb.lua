-- expect: script|budget
function run(input)
  local s = string.rep("a", 60000)
  return {n = #(s:gsub(".", {a = string.rep("q", 100)}))}
end
