-- expect: budget|script
function run(input)
  local s = "x"
  for i = 1, 24 do s = s .. s end
  return {n = #s:upper()}
end
