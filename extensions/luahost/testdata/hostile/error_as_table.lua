-- expect: script
function run(input) error({code = 42, secret = "x"}) end
