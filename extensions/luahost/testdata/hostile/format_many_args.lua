-- expect: budget|script
function run(input)
  local s = string.rep("x", 200000)
  local args = {}
  for i = 1, 2000 do args[i] = s end
  return {n = #string.format(string.rep("%s", 2000), unpack(args))}
end
