-- expect: budget
function run(input) while true do end end
