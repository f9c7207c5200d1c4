-- expect: invalid
local x = 1
