-- expect: budget
function run(input)
  local t = {}
  for i = 1, 150000 do t[i] = (i * 7919) % 150000 end
  while true do table.sort(t) end
end
