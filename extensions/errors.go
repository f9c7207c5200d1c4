package extensions

import "github.com/atriumtrade/atrium/kernel/errkind"

// Errors of extension scripts. A point's failure policy decides whether the caller sees them
// (fail closed) or gets the default result (fall back).
var (
	ErrScriptFailed   = errkind.New(errkind.Unavailable, "extensions.script_failed", "an extension script failed")
	ErrBudgetExceeded = errkind.New(errkind.Unavailable, "extensions.budget_exceeded", "an extension script exceeded its budget")
	ErrInvalidOutput  = errkind.New(errkind.Unavailable, "extensions.invalid_output", "an extension script returned output of the wrong shape")
	ErrInvalidScript  = errkind.New(errkind.Invalid, "extensions.invalid_script", "the script is not valid")
	ErrUnknownPoint   = errkind.New(errkind.Invalid, "extensions.unknown_point", "no such extension point")
	ErrInputTooLarge  = errkind.New(errkind.Invalid, "extensions.input_too_large", "the input is larger than the point allows")
	// ErrInvalidInput is an input a script cannot be given as it is (an integer beyond 2^53,
	// which a Lua number cannot hold exactly; JSON nested too deeply).
	ErrInvalidInput = errkind.New(errkind.Invalid, "extensions.invalid_input", "the input cannot be given to a script")
	// ErrBreakerOpen: the point's scripts kept failing, and its circuit breaker does not run
	// them for a while.
	ErrBreakerOpen = errkind.New(errkind.Unavailable, "extensions.breaker_open", "the scripts of this extension point keep failing and are not being run for a while")
)
