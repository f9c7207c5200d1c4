package mq

import "github.com/prometheus/client_golang/prometheus"

var (
	relayed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_mq_relayed_total",
		Help: "Outbox events the relay published to the broker."}, []string{"broker"})
	relayFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_mq_relay_failures_total",
		Help: "Relay rounds that failed to publish (the broker down or refusing); the events wait and are retried."}, []string{"broker"})
	consumed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_mq_consumed_total",
		Help: "Events a consumer handled, by outcome: handled, duplicate (already in its inbox), failed (an attempt that will be retried)."},
		[]string{"broker", "consumer", "outcome"})
	poisoned = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_mq_poisoned_total",
		Help: "Events a consumer set aside on the poison topic after its retries."}, []string{"broker", "consumer"})
)

// Collectors are the package's metrics, for a Prometheus registry (each process counts once,
// whichever registries show it).
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{relayed, relayFailures, consumed, poisoned}
}
