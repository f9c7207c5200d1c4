-- expect: budget
function run(input) local t = {} while true do table.insert(t, "xxxxxxxxxxxxxxxx") end end
