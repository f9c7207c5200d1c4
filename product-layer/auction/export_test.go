package auction

// WaitingBids is how many bids wait at auction id's gate on this node: tests order their bids by
// it instead of by sleeps.
func WaitingBids(f *Flow, tenant, id string) int {
	g := f.gateOf(tenant, id)
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}
