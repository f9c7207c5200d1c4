-- expect: budget
function run(input)
  local t = {}
  for i = 1, 2000 do t[i] = i end
  table.sort(t, function(a, b) for j = 1, 1000 do end return a > b end)
  return {n = #t}
end
