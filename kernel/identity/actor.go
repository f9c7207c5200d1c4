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

type tenantKey struct{}

// WithTenant returns ctx carrying the tenant a call acts for. The RPC server sets it from the
// caller of each call, a consumer from the event it handles, a payment callback from the tenant
// its provider passed back; the data access component routes the call's statements to the
// tenant's pod by it.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantOf is the tenant ctx carries, "" when none was set (a background job runs per pod
// instead).
func TenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}
