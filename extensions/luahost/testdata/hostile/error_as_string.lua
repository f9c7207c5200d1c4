-- expect: script
function run(input) error("business rule says no") end
