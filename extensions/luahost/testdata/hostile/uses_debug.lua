-- expect: script
function run(input) return {s = debug.getinfo(1).source} end
