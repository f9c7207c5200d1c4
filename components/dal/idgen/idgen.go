// Package idgen makes unique, time-ordered ids that need no database round trip: 41 bits of
// milliseconds since 2024-01-01, 10 bits of node id, 12 bits of sequence (a Snowflake layout).
// Nodes that share a database must have distinct node ids; ids from one node are strictly
// increasing even if the wall clock steps back (the generator waits for it to catch up).
package idgen

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// MaxNode is the largest node id.
const MaxNode = 1<<10 - 1

// Generator makes ids.
type Generator struct {
	mu   sync.Mutex
	node int64
	last int64
	seq  int64
	now  func() time.Time
}

// New returns a generator for node (0..MaxNode); a negative node picks one at random.
func New(node int) (*Generator, error) {
	if node > MaxNode {
		return nil, fmt.Errorf("idgen: node %d out of range 0..%d", node, MaxNode)
	}
	if node < 0 {
		var b [2]byte
		_, _ = rand.Read(b[:])
		node = int(binary.BigEndian.Uint16(b[:]) & MaxNode)
	}
	return &Generator{node: int64(node), now: time.Now}, nil
}

// Next returns a new id as a positive int64.
func (g *Generator) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		ms := g.now().UnixMilli() - epoch
		if ms < g.last {
			time.Sleep(time.Duration(g.last-ms) * time.Millisecond)
			continue
		}
		if ms == g.last {
			g.seq = (g.seq + 1) & 0xfff
			if g.seq == 0 {
				time.Sleep(100 * time.Microsecond)
				continue
			}
		} else {
			g.seq = 0
		}
		g.last = ms
		return ms<<22 | g.node<<12 | g.seq
	}
}

// NextString returns prefix followed by a new id in decimal.
func (g *Generator) NextString(prefix string) string {
	return prefix + strconv.FormatInt(g.Next(), 10)
}

// Floor is Floor(prefix, t), for holders of a generator that ask it for a range of its ids.
func (g *Generator) Floor(prefix string, t time.Time) string { return Floor(prefix, t) }

// Floor is the smallest id with prefix that a generator could make at t or later, for a range
// scan over time-ordered ids (ids compare as strings while their decimals have the same length,
// which holds from 2024 until 2031).
func Floor(prefix string, t time.Time) string {
	ms := max(t.UnixMilli()-epoch, 0)
	return prefix + strconv.FormatInt(ms<<22, 10)
}
