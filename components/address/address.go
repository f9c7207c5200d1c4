// Package address is the address library: mainland China's administrative divisions (GB/T 2260:
// province, city, district, street) embedded from a public dataset (data/SOURCE.md), for address
// pickers and for checking that an address's levels belong together; parsing of pasted Chinese
// addresses (parse.go); validation of delivery addresses in 22 countries (validate.go,
// countries.go); and places, region sets and distance ranks (place.go), which COD eligibility and
// the warehouse choice use instead of comparing names. Levels may be written in Chinese, in
// pinyin (latin.go) or by code.
//
// The table is 44,706 regions in a third of a megabyte, decompressed into memory the first time
// it is used. A region's parent is its code's prefix: a province has 2 digits (11 北京市), a
// city 4 (1101), a district 6 (110101 东城区), a street 9 (110101001 东华门街道). Hong Kong,
// Macao and Taiwan are provinces without lower levels here.
//
// Written by hand: the dataset is data, and no maintained Go library holds China's four levels.
package address

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed data/cn-regions.tsv.gz
var cnRegions []byte

// Level is a region's place in the hierarchy.
type Level string

// The levels.
const (
	Province Level = "province"
	City     Level = "city"
	District Level = "district"
	Street   Level = "street"
)

// levelOf is the level of a code by its length.
func levelOf(code string) (Level, bool) {
	switch len(code) {
	case 2:
		return Province, true
	case 4:
		return City, true
	case 6:
		return District, true
	case 9:
		return Street, true
	}
	return "", false
}

// parentOf is the code of a code's parent ("" for a province).
func parentOf(code string) string {
	switch len(code) {
	case 4:
		return code[:2]
	case 6:
		return code[:4]
	case 9:
		return code[:6]
	}
	return ""
}

// Region is one division.
type Region struct {
	Code  string
	Name  string
	Level Level
	// Parent is the code of the region it is in ("" for a province).
	Parent string
	// HasChildren says whether it has regions of the next level (a picker shows it as a branch).
	HasChildren bool
}

// Tree is the divisions, indexed.
type Tree struct {
	byCode   map[string]*Region
	children map[string][]*Region // by parent code; "" holds the provinces
	version  string
	// ix is the parser's index, built on first use.
	indexOnce sync.Once
	ix        *index
}

var (
	loadOnce sync.Once
	china    *Tree
	loadErr  error
)

// China is mainland China's divisions (with Hong Kong, Macao and Taiwan as provinces).
func China() (*Tree, error) {
	loadOnce.Do(func() { china, loadErr = parse(cnRegions) })
	return china, loadErr
}

func parse(gz []byte) (*Tree, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	t := &Tree{byCode: make(map[string]*Region, 50_000), children: map[string][]*Region{}}
	sum := sha256.New()
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Text()
		sum.Write([]byte(line))
		code, name, ok := strings.Cut(line, "\t")
		level, okLevel := levelOf(code)
		if !ok || !okLevel || name == "" {
			return nil, fmt.Errorf("address: bad row %q", line)
		}
		r := &Region{Code: code, Name: name, Level: level, Parent: parentOf(code)}
		t.byCode[code] = r
		t.children[r.Parent] = append(t.children[r.Parent], r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	for parent, kids := range t.children {
		if parent == "" {
			continue
		}
		p, ok := t.byCode[parent]
		if !ok {
			return nil, fmt.Errorf("address: %s has no parent %s", kids[0].Code, parent)
		}
		p.HasChildren = true
		sort.Slice(kids, func(i, j int) bool { return kids[i].Code < kids[j].Code })
	}
	t.version = hex.EncodeToString(sum.Sum(nil))[:16]
	return t, nil
}

// Version identifies the dataset (an ETag for what is served from it).
func (t *Tree) Version() string { return t.version }

// Len is how many regions there are.
func (t *Tree) Len() int { return len(t.byCode) }

// Get is the region with code.
func (t *Tree) Get(code string) (Region, bool) {
	r, ok := t.byCode[code]
	if !ok {
		return Region{}, false
	}
	return *r, true
}

// Children are the regions directly in parent, by code ("" for the provinces); ok is false for
// a code that is no region.
func (t *Tree) Children(parent string) (kids []Region, ok bool) {
	if parent != "" {
		if _, ok := t.byCode[parent]; !ok {
			return nil, false
		}
	}
	for _, r := range t.children[parent] {
		kids = append(kids, *r)
	}
	return kids, true
}

// Path is the region with code and those it is in, province first.
func (t *Tree) Path(code string) ([]Region, bool) {
	r, ok := t.byCode[code]
	if !ok {
		return nil, false
	}
	var path []Region
	for ; r != nil; r = t.byCode[r.Parent] {
		path = append([]Region{*r}, path...)
		if r.Parent == "" {
			break
		}
	}
	return path, true
}

// ErrRegionNotFound is a code that names no region.
var ErrRegionNotFound = errkind.New(errkind.NotFound, "address.region_not_found", "no region has this code")
