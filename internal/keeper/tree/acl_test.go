package tree

import (
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestDigestID(t *testing.T) {
	// As printed by ZooKeeper's DigestAuthenticationProvider for "u:p".
	if got := DigestID("u:p"); got != "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=" {
		t.Fatalf("DigestID(u:p) = %s", got)
	}
	if got := DigestID("nocolon"); got != "nocolon:"+DigestID("nocolon")[len("nocolon:"):] {
		t.Fatalf("DigestID(nocolon) = %s", got)
	}
}

// TestACLMatrix checks each kind of ACL entry against each kind of caller
// for each permission, through the operations that need it.
func TestACLMatrix(t *testing.T) {
	entries := map[string]jute.ACL{
		"world":     {ID: jute.ID{Scheme: "world", ID: "anyone"}},
		"digest":    {ID: digestU},
		"ip":        {ID: jute.ID{Scheme: "ip", ID: "127.0.0.1"}},
		"ip-net":    {ID: jute.ID{Scheme: "ip", ID: "10.1.0.0/16"}},
		"ip6":       {ID: jute.ID{Scheme: "ip", ID: "fe80::/16"}},
		"ip-wrong6": {ID: jute.ID{Scheme: "ip", ID: "::1"}},
	}
	callers := map[string][]jute.ID{
		"nobody":   nil,
		"local ip": {ipLocal},
		"net ip":   {{Scheme: "ip", ID: "10.1.200.3"}},
		"ip6":      {{Scheme: "ip", ID: "fe80:0:0:0:0:0:0:1"}},
		"digest u": {ipLocal, digestU},
		"digest v": {ipLocal, digestV},
		"super":    {superUser},
	}
	allowed := map[string]map[string]bool{
		"world":     {"nobody": true, "local ip": true, "net ip": true, "ip6": true, "digest u": true, "digest v": true, "super": true},
		"digest":    {"digest u": true, "super": true},
		"ip":        {"local ip": true, "digest u": true, "digest v": true, "super": true},
		"ip-net":    {"net ip": true, "super": true},
		"ip6":       {"ip6": true, "super": true},
		"ip-wrong6": {"super": true},
	}
	perms := []int32{jute.PermRead, jute.PermWrite, jute.PermCreate, jute.PermDelete, jute.PermAdmin}
	for en, entry := range entries {
		for _, perm := range perms {
			for cn, caller := range callers {
				e := newEnv(t, Options{})
				a := entry
				a.Perms = perm
				if r := e.as(sess1, []jute.ID{superUser}).create("/n", []byte("x"), []jute.ACL{a}, 0); r.Err != jute.ErrOK {
					t.Fatalf("%s: create: %v", en, r.Err.Name())
				}
				e.as(sess1, []jute.ID{superUser}).create("/n/child", nil, open, 0)
				want := allowed[en][cn]
				c := e.as(sess1, caller)
				var got jute.Err
				switch perm {
				case jute.PermRead:
					_, _, got = e.t.GetData("/n", caller)
					if _, _, err := e.t.Children("/n", caller); err != got {
						t.Fatalf("Children and GetData disagree")
					}
					if _, err := e.t.Stat("/n", caller); err != got {
						t.Fatalf("Stat and GetData disagree")
					}
				case jute.PermWrite:
					got = c.setData("/n", nil, -1).Err
				case jute.PermCreate:
					got = c.create("/n/new", nil, open, 0).Err
				case jute.PermDelete:
					got = c.del("/n/child", -1)
				case jute.PermAdmin:
					got = c.apply(jute.OpSetACL, &jute.SetACLRequest{Path: "/n", ACL: []jute.ACL{a}, Version: -1}).Err
				}
				if (got == jute.ErrOK) != want {
					t.Errorf("entry %s perm %d caller %s: %v, want allowed=%v", en, perm, cn, got.Name(), want)
				}
				if got != jute.ErrOK && got != jute.ErrNoAuth {
					t.Errorf("entry %s perm %d caller %s: %v", en, perm, cn, got.Name())
				}
			}
		}
	}
}

func TestFixupACL(t *testing.T) {
	tr := New(Options{AuthSchemes: []string{"sasl"}})
	w := func(perms int32) jute.ACL { return jute.ACL{Perms: perms, ID: jute.ID{Scheme: "world", ID: "anyone"}} }
	a := func(scheme, id string) jute.ACL { return jute.ACL{Perms: 31, ID: jute.ID{Scheme: scheme, ID: id}} }
	sasl := jute.ID{Scheme: "sasl", ID: "alice"}
	tests := []struct {
		name string
		in   []jute.ACL
		auth []jute.ID
		want []jute.ACL
		err  jute.Err
	}{
		{"nil", nil, nil, nil, jute.ErrInvalidACL},
		{"duplicates dropped", []jute.ACL{w(1), w(1), w(3), w(1)}, nil, []jute.ACL{w(1), w(3)}, jute.ErrOK},
		{"any perms kept", []jute.ACL{w(0), w(-1)}, nil, []jute.ACL{w(0), w(-1)}, jute.ErrOK},
		{"auth expands in place", []jute.ACL{w(1), {Perms: 7, ID: jute.ID{Scheme: "auth", ID: "ignored"}}, w(2)},
			[]jute.ID{ipLocal, digestU, superUser, digestV, sasl},
			[]jute.ACL{w(1), {Perms: 7, ID: digestU}, {Perms: 7, ID: digestV}, {Perms: 7, ID: sasl}, w(2)}, jute.ErrOK},
		{"auth with super only", []jute.ACL{a("auth", "")}, []jute.ID{superUser}, nil, jute.ErrInvalidACL},
		{"extra scheme valid", []jute.ACL{a("sasl", "anything")}, nil, []jute.ACL{a("sasl", "anything")}, jute.ErrOK},
		{"unknown scheme", []jute.ACL{a("x509", "CN=a")}, nil, nil, jute.ErrInvalidACL},
		{"digest user:hash", []jute.ACL{a("digest", "u:h")}, nil, []jute.ACL{a("digest", "u:h")}, jute.ErrOK},
		{"digest trailing colon ok", []jute.ACL{a("digest", "u:h:")}, nil, []jute.ACL{a("digest", "u:h:")}, jute.ErrOK},
		{"digest empty user ok", []jute.ACL{a("digest", ":h")}, nil, []jute.ACL{a("digest", ":h")}, jute.ErrOK},
		{"digest no hash", []jute.ACL{a("digest", "u:")}, nil, nil, jute.ErrInvalidACL},
		{"digest three parts", []jute.ACL{a("digest", "a:b:c")}, nil, nil, jute.ErrInvalidACL},
		{"digest empty", []jute.ACL{a("digest", "")}, nil, nil, jute.ErrInvalidACL},
		{"digest colon", []jute.ACL{a("digest", ":")}, nil, nil, jute.ErrInvalidACL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tr.fixupACL(tc.in, tc.auth)
			if err != tc.err || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v %v, want %v %v", got, err.Name(), tc.want, tc.err.Name())
			}
		})
	}
}

func TestIPProvider(t *testing.T) {
	valid := map[string]bool{
		"127.0.0.1": true, "127.0.0.0/8": true, "0.0.0.0/0": true, "1.2.3.4/32": true,
		"1.2.3.4/33": false, "1.2.3": false, "1.2.3.4.5": false, "1.2.3.256": false, "1.2.3.-1": false,
		"+1.2.3.4": true, "-0.2.3.4": true, "01.2.3.4": true, "1.2.3.4/": false, "1.2.3.4/x": false,
		"localhost": false, "": false, "1..3.4": false,
		"::1": true, "::": true, "1::": true, "fe80::1/64": true, "1:2:3:4:5:6:7:8": true,
		"1:2:3:4:5:6:7": false, "1:2:3:4:5:6:7:8:9": false, "1::2::3": false, "12345::": false,
		"1:2:3:4::5:6:7:8": false, "::1/129": false, "::ffff:1.2.3.4": false, "g::": false, "-1::": true,
	}
	for id, want := range valid {
		if got := ipValid(id); got != want {
			t.Errorf("ipValid(%q) = %v, want %v", id, got, want)
		}
	}
	matches := []struct {
		id, acl string
		want    bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.2", "127.0.0.1", false},
		{"127.9.9.9", "127.0.0.0/8", true},
		{"128.0.0.1", "127.0.0.0/8", false},
		{"10.0.0.129", "10.0.0.128/25", true},
		{"10.0.0.127", "10.0.0.128/25", false},
		{"1.2.3.4", "0.0.0.0/0", true},
		{"::1", "0:0:0:0:0:0:0:1", true},
		{"::1", "0.0.0.0/0", false}, // IPv4 expression, IPv6 address
		{"fe80::abcd", "fe80::/10", true},
		{"127.0.0.1", "bogus", false},
		{"bogus", "127.0.0.1", false},
	}
	for _, m := range matches {
		if got := ipMatches(m.id, m.acl); got != m.want {
			t.Errorf("ipMatches(%q, %q) = %v, want %v", m.id, m.acl, got, m.want)
		}
	}
}

func TestGetACLAndExistsChecks(t *testing.T) {
	e := newEnv(t, Options{})
	readPlusDigest := []jute.ACL{
		{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}},
		{Perms: jute.PermAll, ID: digestU},
	}
	e.create("/r", nil, readPlusDigest, 0)
	e.create("/d", nil, acl(jute.PermAll, "digest", digestU.ID), 0)
	e.create("/none", nil, acl(0, "world", "anyone"), 0)
	e.create("/admin", nil, acl(jute.PermAdmin, "world", "anyone"), 0)

	// Without ADMIN the digest credential is hidden.
	got, _, err := e.t.GetACL("/r", nil)
	want := []jute.ACL{readPlusDigest[0], {Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: "u:x"}}}
	if err != jute.ErrOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("GetACL /r anonymous: %v %v", got, err.Name())
	}
	if got, _, _ := e.t.GetACL("/r", []jute.ID{digestU}); !reflect.DeepEqual(got, readPlusDigest) {
		t.Fatalf("GetACL /r as owner: %v", got)
	}
	if _, _, err := e.t.GetACL("/d", nil); err != jute.ErrNoAuth {
		t.Fatalf("GetACL /d: %v", err.Name())
	}
	if _, _, err := e.t.GetACL("/none", nil); err != jute.ErrNoAuth {
		t.Fatalf("GetACL /none: %v", err.Name())
	}
	if _, _, err := e.t.GetACL("/admin", nil); err != jute.ErrOK {
		t.Fatalf("GetACL /admin: %v", err.Name())
	}
	if _, _, err := e.t.GetACL("/missing", nil); err != jute.ErrNoNode {
		t.Fatalf("GetACL missing: %v", err.Name())
	}
	// exists: NoAuth only when the node exists.
	if _, err := e.t.Stat("/d", nil); err != jute.ErrNoAuth {
		t.Fatalf("Stat /d: %v", err.Name())
	}
	if _, err := e.t.Stat("/missing", nil); err != jute.ErrNoNode {
		t.Fatalf("Stat missing: %v", err.Name())
	}
	if _, err := e.t.Stat("/d\x00", nil); err != jute.ErrBadArguments {
		t.Fatalf("Stat NUL: %v", err.Name())
	}
	if _, ok := e.t.Exists("/d"); !ok {
		t.Fatal("Exists /d")
	}
	if n, err := e.t.AllChildrenNumber("/d", nil); err != jute.ErrNoAuth || n != 0 {
		t.Fatalf("AllChildrenNumber /d: %d %v", n, err.Name())
	}
}

func TestRedactDigest(t *testing.T) {
	for in, want := range map[string]string{
		"u:abc":        "u:x",
		"nocolon":      "nocolon",
		"a:b:c":        "a:x",
		"a:b\nc:d":     "a:x\nc:x",
		"a\u2028b:c":   "a\u2028b:x",
		":":            ":x",
		"a:b\r\nc":     "a:x\r\nc",
		"x:y\u0085z:w": "x:x\u0085z:x",
	} {
		if got := redactDigest(in); got != want {
			t.Errorf("redactDigest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestACLSharing(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/a", "/b", "/c"} {
		e.create(p, nil, acl(jute.PermRead, "world", "anyone"), 0)
	}
	if e.t.get("/a").meta().acl != e.t.get("/b").meta().acl {
		t.Fatal("equal ACL lists are not shared")
	}
	if len(e.t.acls.m) != 2 { // OPEN and READ (also /zookeeper/config's)
		t.Fatalf("%d ACL entries", len(e.t.acls.m))
	}
	e.apply(jute.OpSetACL, &jute.SetACLRequest{Path: "/a", ACL: acl(jute.PermAll, "digest", digestU.ID), Version: -1})
	e.del("/a", -1)
	if len(e.t.acls.m) != 2 {
		t.Fatalf("unused ACL kept: %d entries", len(e.t.acls.m))
	}
}
