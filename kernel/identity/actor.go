package identity

import "context"

type actorKey struct{}

// WithActor returns ctx carrying who acts in it, as a label the trade's story shows: "buyer:u1",
// "operator:ops1", "provider:sandbox" (a payment callback), "timer:<kind>" (a durable timer),
// "system:<job>" (a sweep). The RPC server sets it from the caller of each call, the timer queue
// for each job; what is written in ctx (an event) records it.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf is the actor ctx carries, "system" when none was set (a background job).
func ActorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}
