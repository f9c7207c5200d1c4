-- expect: budget
local function loop() while true do pcall(loop) end end
function run(input) loop() end
