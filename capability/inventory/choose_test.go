package inventory

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/atriumtrade/atrium/components/address"
)

var (
	hangzhou = address.Place{Country: "CN", Province: "浙江省", City: "杭州市", District: "西湖区"}
	ningbo   = address.Place{Country: "CN", Province: "浙江", City: "宁波"}
	beijing  = address.Place{Country: "CN", Province: "北京", City: "北京"}
)

func TestProximity(t *testing.T) {
	for _, c := range []struct {
		w, d address.Place
		want int
	}{
		{hangzhou, address.Place{Country: "CN", Province: "浙江", City: "杭州", District: "西湖区"}, 0},
		{hangzhou, address.Place{Country: "CN", Province: "浙江", City: "杭州", District: "上城区"}, 1},
		{hangzhou, address.Place{Country: "CN", Province: "浙江省", City: "温州"}, 2},
		{address.Place{Country: "CN", Province: "Zhejiang", City: "Ningbo"}, address.Place{Country: "CN", Province: "zhejiang ", City: "Hangzhou"}, 2},
		{hangzhou, beijing, 3},
		{hangzhou, address.Place{Country: "US", Province: "浙江", City: "杭州"}, address.Far},
		{address.Place{}, hangzhou, address.Far}, // a warehouse never registered
		{hangzhou, address.Place{}, address.Far}, // a quote with no destination
		{address.Place{Country: "CN"}, beijing, 3},
	} {
		if got := Proximity(c.w, c.d); got != c.want {
			t.Errorf("Proximity(%v, %v) = %d; want %d", c.w, c.d, got, c.want)
		}
	}
}

func lvl(sku, wh string, avail int64, r address.Place) Level {
	return Level{SKUID: sku, WarehouseID: wh, Available: avail, Region: r}
}

func TestAllocate(t *testing.T) {
	dest := address.Place{Country: "CN", Province: "浙江", City: "杭州", District: "滨江区"}
	for _, c := range []struct {
		name    string
		levels  []Level
		demands []Demand
		want    [][]Line
		err     error
	}{{
		name:    "nearest that can fill wins over more stock",
		levels:  []Level{lvl("a", "bj", 100, beijing), lvl("a", "hz", 5, hangzhou), lvl("a", "nb", 50, ningbo)},
		demands: []Demand{{"a", 5}},
		want:    [][]Line{{{SKUID: "a", WarehouseID: "hz", Quantity: 5}}},
	}, {
		name:    "a nearer one that cannot fill is passed over for one that can",
		levels:  []Level{lvl("a", "bj", 100, beijing), lvl("a", "hz", 5, hangzhou), lvl("a", "nb", 50, ningbo)},
		demands: []Demand{{"a", 6}},
		want:    [][]Line{{{SKUID: "a", WarehouseID: "nb", Quantity: 6}}},
	}, {
		name:    "same proximity: the warehouse the cart already ships from, then most stock",
		levels:  []Level{lvl("a", "hz", 5, hangzhou), lvl("b", "nb", 5, ningbo), lvl("b", "wz", 9, address.Place{Country: "CN", Province: "浙江", City: "温州"}), lvl("c", "wz", 9, address.Place{Country: "CN", Province: "浙江", City: "温州"}), lvl("c", "nb", 3, ningbo)},
		demands: []Demand{{"a", 1}, {"b", 2}, {"c", 2}},
		want: [][]Line{
			{{SKUID: "a", WarehouseID: "hz", Quantity: 1}},
			{{SKUID: "b", WarehouseID: "wz", Quantity: 2}},
			{{SKUID: "c", WarehouseID: "wz", Quantity: 2}},
		},
	}, {
		name:    "no single warehouse can: spread nearest first",
		levels:  []Level{lvl("a", "bj", 4, beijing), lvl("a", "hz", 3, hangzhou), lvl("a", "nb", 2, ningbo), lvl("a", "empty", 0, hangzhou)},
		demands: []Demand{{"a", 8}},
		want:    [][]Line{{{SKUID: "a", WarehouseID: "hz", Quantity: 3}, {SKUID: "a", WarehouseID: "nb", Quantity: 2}, {SKUID: "a", WarehouseID: "bj", Quantity: 3}}},
	}, {
		name:    "all together cannot",
		levels:  []Level{lvl("a", "bj", 4, beijing), lvl("a", "hz", 3, hangzhou)},
		demands: []Demand{{"a", 8}},
		err:     ErrInsufficientStock,
	}, {
		name:    "unknown regions: most stock, then id",
		levels:  []Level{lvl("a", "w2", 7, address.Place{}), lvl("a", "w1", 7, address.Place{}), lvl("a", "w3", 9, address.Place{})},
		demands: []Demand{{"a", 7}},
		want:    [][]Line{{{SKUID: "a", WarehouseID: "w3", Quantity: 7}}},
	}} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Allocate(dest, c.levels, c.demands)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v; want %v", err, c.err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestCheckChoice(t *testing.T) {
	in := ChooseInput{Lines: []ChooseLine{{SKUID: "a", Quantity: 5, Warehouses: []WarehouseStock{{WarehouseID: "x", Available: 3}, {WarehouseID: "y", Available: 4}}}}}
	for _, c := range []struct {
		name string
		out  Chosen
		ok   bool
	}{
		{"parts that fill", Chosen{SKUID: "a", Parts: []Part{{"x", 3}, {"y", 2}}}, true},
		{"one that cannot fill alone", Chosen{SKUID: "a", WarehouseID: "y"}, false},
		{"parts short of the line", Chosen{SKUID: "a", Parts: []Part{{"x", 3}, {"y", 1}}}, false},
		{"part over its stock", Chosen{SKUID: "a", Parts: []Part{{"x", 4}, {"y", 1}}}, false},
		{"a warehouse twice", Chosen{SKUID: "a", Parts: []Part{{"y", 3}, {"y", 2}}}, false},
		{"zero part", Chosen{SKUID: "a", Parts: []Part{{"x", 0}, {"y", 4}, {"x", 1}}}, false},
		{"both forms", Chosen{SKUID: "a", WarehouseID: "y", Parts: []Part{{"x", 3}, {"y", 2}}}, false},
		{"neither", Chosen{SKUID: "a"}, false},
		{"unknown warehouse", Chosen{SKUID: "a", Parts: []Part{{"z", 5}}}, false},
	} {
		err := checkChoice(in, ChooseOutput{Lines: []Chosen{c.out}})
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v; want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestDefaultChoiceOnlySpreadsWhenItMust(t *testing.T) {
	out, err := chooseNearest(context.Background(), ChooseInput{Destination: beijing, Lines: []ChooseLine{
		{SKUID: "a", Quantity: 2, Warehouses: []WarehouseStock{{WarehouseID: "hz", Available: 9, Region: hangzhou}, {WarehouseID: "bj", Available: 2, Region: beijing}}},
		{SKUID: "b", Quantity: 4, Warehouses: []WarehouseStock{{WarehouseID: "hz", Available: 3, Region: hangzhou}, {WarehouseID: "bj", Available: 2, Region: beijing}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := ChooseOutput{Lines: []Chosen{{SKUID: "a", WarehouseID: "bj"}, {SKUID: "b", Parts: []Part{{"bj", 2}, {"hz", 2}}}}}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got %+v; want %+v", out, want)
	}
}
