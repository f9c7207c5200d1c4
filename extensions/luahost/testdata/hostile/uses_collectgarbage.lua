-- expect: script
function run(input) collectgarbage() return {v = 1} end
