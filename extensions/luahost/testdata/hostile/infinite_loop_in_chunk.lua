-- expect: budget
while true do end
function run(input) return {} end
