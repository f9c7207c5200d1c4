-- expect: script
function run(input) local s = ("x"):rep(2^40) return {n = #s} end
