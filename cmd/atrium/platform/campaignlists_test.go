package platform_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestOperatorCampaignLists: operators list their pre-sale campaigns, group buys and auctions,
// newest first a page at a time, by status (an auction's as it stands now), with their terms;
// another tenant sees none of them; a bad status or cursor is a stable 400.
func TestOperatorCampaignLists(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 12000, 20)
		s.seed(admin, "vase", "s1", 100000, 3)
		now := s.clock.Now()
		for _, id := range []string{"p1", "p2", "p3"} {
			must(t, s.do("PUT", "/admin/v1/presales/"+id, admin, presaleBody(now)), 200, "presale "+id)
			must(t, s.do("PUT", "/admin/v1/groupbuys/g"+id[1:], admin, groupBuyBody(now, 2, 0)), 200, "group buy "+id)
		}
		must(t, s.do("POST", "/admin/v1/presales/p2/cancel", admin, nil), 200, "cancel p2")
		must(t, s.do("POST", "/admin/v1/groupbuys/g2/cancel", admin, nil), 200, "cancel g2")
		later := auctionBody(now.Add(time.Hour))
		must(t, s.do("PUT", "/admin/v1/auctions/a-now", admin, auctionBody(now.Add(-time.Minute))), 200, "running auction")
		must(t, s.do("PUT", "/admin/v1/auctions/a-later", admin, later), 200, "scheduled auction")

		// ids pages through path two at a time and says what each item is.
		ids := func(path, token, field string) string {
			t.Helper()
			var out []string
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			cursor := ""
			for range 10 {
				page := must(t, s.do("GET", path+sep+"limit=2"+cursor, token, nil), 200, path).data()
				for _, it := range page["items"].([]any) {
					m := it.(map[string]any)
					id, _ := m["id"].(string)
					if id == "" {
						id, _ = m["auctionId"].(string)
					}
					out = append(out, id+"="+m[field].(string))
				}
				next, _ := page["nextCursor"].(string)
				if next == "" {
					return strings.Join(out, " ")
				}
				cursor = "&cursor=" + next
			}
			t.Fatalf("%s: more than 10 pages", path)
			return ""
		}
		for _, c := range []struct{ path, field, want string }{
			{"/admin/v1/presales", "status", "p3=active p2=cancelled p1=active"},
			{"/admin/v1/presales?status=active", "status", "p3=active p1=active"},
			{"/admin/v1/groupbuys", "status", "g3=active g2=cancelled g1=active"},
			{"/admin/v1/groupbuys?status=cancelled", "status", "g2=cancelled"},
			{"/admin/v1/auctions", "status", "a-later=scheduled a-now=running"},
			{"/admin/v1/auctions?status=running&sku=vase", "status", "a-now=running"},
			{"/admin/v1/auctions?sku=tea", "status", ""},
		} {
			if got := ids(c.path, admin, c.field); got != c.want {
				t.Errorf("GET %s: %q; want %q", c.path, got, c.want)
			}
		}
		// The terms come with the list: a presale's SKUs and windows, an auction's reserve.
		p := must(t, s.do("GET", "/admin/v1/presales?limit=1", admin, nil), 200, "presale page").data()["items"].([]any)[0].(map[string]any)
		if len(p["skus"].([]any)) != 1 || p["depositEndsAt"] == nil {
			t.Errorf("a listed presale: %v", p)
		}
		a := must(t, s.do("GET", "/admin/v1/auctions?status=running", admin, nil), 200, "auction page").data()["items"].([]any)[0].(map[string]any)
		if a["reservePrice"] != float64(30000) {
			t.Errorf("a listed auction as operators see it: %v", a)
		}
		other := s.token("other", "ops", "", "admin")
		for _, path := range []string{"/admin/v1/presales", "/admin/v1/groupbuys", "/admin/v1/auctions"} {
			if got := ids(path, other, "status"); got != "" {
				t.Errorf("another tenant's %s: %s", path, got)
			}
		}
		for path, code := range map[string]string{
			"/admin/v1/presales?cursor=forged":  "presale.invalid_cursor",
			"/admin/v1/groupbuys?cursor=forged": "groupbuy.invalid_cursor",
			"/admin/v1/auctions?cursor=forged":  "auction.invalid_cursor",
			"/admin/v1/presales?status=paused":  "request.invalid",
			"/admin/v1/groupbuys?status=paused": "request.invalid",
			"/admin/v1/auctions?status=paused":  "request.invalid",
		} {
			if r := s.do("GET", path, admin, nil); r.status != 400 || r.body["code"] != code {
				t.Errorf("GET %s: %d %s; want 400 %s", path, r.status, r.raw, code)
			}
		}
	})
}
