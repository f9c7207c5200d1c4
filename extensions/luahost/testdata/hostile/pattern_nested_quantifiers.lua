-- expect: budget
function run(input)
  local s = string.rep("ab", 30000)
  return {m = s:match(string.rep("(.-)", 30) .. "c")}
end
