-- expect: output
function run(input) return {f = function() end} end
