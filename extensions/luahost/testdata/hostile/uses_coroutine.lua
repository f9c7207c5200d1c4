-- expect: script
function run(input) local co = coroutine.create(function() end) return {v = 1} end
