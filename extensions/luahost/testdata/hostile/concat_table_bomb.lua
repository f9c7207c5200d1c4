-- expect: script|budget
function run(input)
  local t = {}
  local big = string.rep("x", 200000)
  for i = 1, 50 do t[i] = big end
  return {n = #table.concat(t)}
end
