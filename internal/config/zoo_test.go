package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, text string) (*Keeper, []string) {
	t.Helper()
	k, w, err := ParseKeeper(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatalf("ParseKeeper(%q): %v", text, err)
	}
	return k, w
}

const minimal = "dataDir=/var/zk\nclientPort=2181\n"

func TestKeeperDefaults(t *testing.T) {
	k, warnings := parse(t, minimal)
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	want := &Keeper{
		TickTime:                3000,
		DataDir:                 "/var/zk",
		DataLogDir:              "/var/zk",
		ClientPort:              2181,
		SecureClientPort:        -1,
		ClientPortListenBacklog: -1,
		MaxClientCnxns:          60,
		MinSessionTimeout:       6000,
		MaxSessionTimeout:       60000,
		SnapCount:               100000,
		SnapRetainCount:         3,
		PreAllocSize:            65536,
		JuteMaxBuffer:           0xfffff,
		GlobalOutstandingLimit:  1000,
		StandaloneEnabled:       true,
		AdminEnableServer:       true,
		AdminServerPort:         8080,
		AdminServerAddress:      "0.0.0.0",
		AdminCommandURL:         "/commands",
		SyncEnabled:             true,
		ElectionAlg:             3,
		ServerID:                -1,
		Other:                   map[string]string{},
	}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", k, want)
	}
	if !k.Standalone() {
		t.Error("not standalone")
	}
	if got := k.ClientAddr(); got != ":2181" {
		t.Errorf("ClientAddr = %q", got)
	}
	if got := k.AdminAddr(); got != "0.0.0.0:8080" {
		t.Errorf("AdminAddr = %q", got)
	}
	if k.TickDuration() != 3*time.Second || k.MinSessionTimeoutDuration() != 6*time.Second ||
		k.MaxSessionTimeoutDuration() != time.Minute || k.PurgeIntervalDuration() != 0 {
		t.Errorf("durations: tick %v min %v max %v purge %v", k.TickDuration(), k.MinSessionTimeoutDuration(),
			k.MaxSessionTimeoutDuration(), k.PurgeIntervalDuration())
	}
	for _, cmd := range []string{"ruok", "stat", "conf", "mntr"} {
		if k.FourLetterWordEnabled(cmd) {
			t.Errorf("%s enabled by default", cmd)
		}
	}
	if !k.FourLetterWordEnabled("srvr") {
		t.Error("srvr disabled by default")
	}
}

func TestKeeperKeys(t *testing.T) {
	tests := []struct {
		line  string
		check func(k *Keeper) bool
	}{
		{"tickTime=2000", func(k *Keeper) bool {
			return k.TickTime == 2000 && k.MinSessionTimeout == 4000 && k.MaxSessionTimeout == 40000
		}},
		{"tickTime = 2000   ", func(k *Keeper) bool { return k.TickTime == 2000 }},
		{"initLimit=10", func(k *Keeper) bool { return k.InitLimit == 10 && k.InitLimitDuration() == 30*time.Second }},
		{"syncLimit=5", func(k *Keeper) bool { return k.SyncLimit == 5 && k.SyncLimitDuration() == 15*time.Second }},
		{"connectToLearnerMasterLimit=7", func(k *Keeper) bool {
			return k.ConnectToLearnerMasterLimit == 7 && k.ConnectToLearnerMasterDuration() == 21*time.Second
		}},
		{"dataLogDir=/var/zklog", func(k *Keeper) bool { return k.DataLogDir == "/var/zklog" && k.DataDir == "/var/zk" }},
		{"clientPortAddress=127.0.0.1", func(k *Keeper) bool { return k.ClientAddr() == "127.0.0.1:2181" }},
		{"clientPortAddress=[::1]", func(k *Keeper) bool { return k.ClientPortAddress == "::1" && k.ClientAddr() == "[::1]:2181" }},
		{"clientPortAddress=::1", func(k *Keeper) bool { return k.ClientAddr() == "[::1]:2181" }},
		{"clientPortAddress=zk1.example.com", func(k *Keeper) bool { return k.ClientAddr() == "zk1.example.com:2181" }},
		{"clientPortListenBacklog=128", func(k *Keeper) bool { return k.ClientPortListenBacklog == 128 }},
		{"maxClientCnxns=0", func(k *Keeper) bool { return k.MaxClientCnxns == 0 }},
		{"maxCnxns=500", func(k *Keeper) bool { return k.MaxCnxns == 500 }},
		{"minSessionTimeout=1000", func(k *Keeper) bool { return k.MinSessionTimeout == 1000 && k.MaxSessionTimeout == 60000 }},
		{"maxSessionTimeout=90000", func(k *Keeper) bool { return k.MaxSessionTimeout == 90000 && k.MinSessionTimeout == 6000 }},
		{"minSessionTimeout=-1", func(k *Keeper) bool { return k.MinSessionTimeout == 6000 }},
		{"localSessionsEnabled=TRUE", func(k *Keeper) bool { return k.LocalSessionsEnabled }},
		{"localSessionsUpgradingEnabled=true", func(k *Keeper) bool { return k.LocalSessionsUpgradingEnabled }},
		{"snapCount=5000", func(k *Keeper) bool { return k.SnapCount == 5000 }},
		{"autopurge.snapRetainCount=10", func(k *Keeper) bool { return k.SnapRetainCount == 10 }},
		{"autopurge.purgeInterval=24", func(k *Keeper) bool {
			return k.PurgeInterval == 24 && k.PurgeIntervalDuration() == 24*time.Hour
		}},
		{"autopurge.purgeInterval=-1", func(k *Keeper) bool { return k.PurgeIntervalDuration() == 0 }},
		{"preAllocSize=1024", func(k *Keeper) bool { return k.PreAllocSize == 1024 }},
		{"jute.maxbuffer=4194304", func(k *Keeper) bool { return k.JuteMaxBuffer == 4194304 }},
		{"globalOutstandingLimit=0", func(k *Keeper) bool { return k.GlobalOutstandingLimit == 0 }},
		{"4lw.commands.whitelist=stat, ruok ,conf,,", func(k *Keeper) bool {
			return reflect.DeepEqual(k.FourLetterWords, []string{"stat", "ruok", "conf"}) &&
				k.FourLetterWordEnabled("ruok") && k.FourLetterWordEnabled("srvr") && !k.FourLetterWordEnabled("mntr")
		}},
		{"4lw.commands.whitelist=*", func(k *Keeper) bool {
			return k.FourLetterWordEnabled("mntr") && k.FourLetterWordEnabled("wchp") && !k.FourLetterWordEnabled("nope")
		}},
		{"4lw.commands.whitelist=", func(k *Keeper) bool {
			return len(k.FourLetterWords) == 0 && k.FourLetterWordEnabled("srvr") && !k.FourLetterWordEnabled("ruok")
		}},
		{"extendedTypesEnabled=true", func(k *Keeper) bool { return k.ExtendedTypesEnabled }},
		{"reconfigEnabled=true", func(k *Keeper) bool { return k.ReconfigEnabled }},
		{"standaloneEnabled=True", func(k *Keeper) bool { return k.StandaloneEnabled }},
		{"admin.enableServer=false", func(k *Keeper) bool { return !k.AdminEnableServer && k.AdminAddr() == "" }},
		{"admin.serverPort=9090", func(k *Keeper) bool { return k.AdminAddr() == "0.0.0.0:9090" }},
		{"admin.serverAddress=127.0.0.1", func(k *Keeper) bool { return k.AdminAddr() == "127.0.0.1:8080" }},
		{"admin.commandURL=/cmds", func(k *Keeper) bool { return k.AdminCommandURL == "/cmds" }},
		{"syncEnabled=false", func(k *Keeper) bool { return !k.SyncEnabled }},
		{"electionAlg=3", func(k *Keeper) bool { return k.ElectionAlg == 3 }},
		{"quorumListenOnAllIPs=true", func(k *Keeper) bool { return k.QuorumListenOnAllIPs }},
		{"peerType=observer", func(k *Keeper) bool { return k.Observer }},
		{"peerType=PARTICIPANT", func(k *Keeper) bool { return !k.Observer }},
		{"dynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000000", func(k *Keeper) bool {
			return k.DynamicConfigFile == "/etc/zk/zoo.cfg.dynamic.100000000" && len(k.Servers) == 0
		}},
		{"sslQuorum=false", func(k *Keeper) bool { return k.Other["sslQuorum"] == "false" }},
		{"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider", func(k *Keeper) bool {
			return k.Other["authProvider.1"] == "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
		}},
		{"clientPort=0", func(k *Keeper) bool { return k.ClientPort == 0 && k.ClientAddr() == ":0" }},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			k, _ := parse(t, minimal+tt.line+"\n")
			if !tt.check(k) {
				t.Errorf("%s: unexpected result %+v", tt.line, k)
			}
		})
	}
}

func TestKeeperDataDirKeptAsWritten(t *testing.T) {
	k, _ := parse(t, "dataDir=data/zk\ndataLogDir=../log\nclientPort=1\n")
	if k.DataDir != "data/zk" || k.DataLogDir != "../log" {
		t.Errorf("DataDir %q DataLogDir %q", k.DataDir, k.DataLogDir)
	}
}

func TestKeeperBadValues(t *testing.T) {
	tests := []struct {
		text string
		want string // exact error message
		is   error
	}{
		{"tickTime=abc", `zoo.cfg: tickTime: "abc" is not an integer (line 3)`, ErrInvalid},
		{"tickTime=", `zoo.cfg: tickTime: "" is not an integer (line 3)`, ErrInvalid},
		{"tickTime=0", `zoo.cfg: tickTime: is not set (line 3)`, ErrMissing},
		{"tickTime=-5", `zoo.cfg: tickTime: -5 must be positive (line 3)`, ErrInvalid},
		{"tickTime=99999999999", `zoo.cfg: tickTime: "99999999999" is out of range (line 3)`, ErrInvalid},
		{"tickTime=1.5", `zoo.cfg: tickTime: "1.5" is not an integer (line 3)`, ErrInvalid},
		{"initLimit=x", `zoo.cfg: initLimit: "x" is not an integer (line 3)`, ErrInvalid},
		{"initLimit=-1", `zoo.cfg: initLimit: -1 must not be negative (line 3)`, ErrInvalid},
		{"syncLimit=-1", `zoo.cfg: syncLimit: -1 must not be negative (line 3)`, ErrInvalid},
		{"connectToLearnerMasterLimit=q", `zoo.cfg: connectToLearnerMasterLimit: "q" is not an integer (line 3)`, ErrInvalid},
		{"clientPort=-1", `zoo.cfg: clientPort: port -1 is out of range 0-65535 (line 3)`, ErrInvalid},
		{"clientPort=65536", `zoo.cfg: clientPort: port 65536 is out of range 0-65535 (line 3)`, ErrInvalid},
		{"clientPort=21 81", `zoo.cfg: clientPort: "21 81" is not an integer (line 3)`, ErrInvalid},
		{"clientPortAddress=a b", `zoo.cfg: clientPortAddress: "a b" is not a host name or IP address (line 3)`, ErrInvalid},
		{"clientPortAddress=1:2:3", `zoo.cfg: clientPortAddress: "1:2:3" is not a host name or IP address (line 3)`, ErrInvalid},
		{"secureClientPort=70000", `zoo.cfg: secureClientPort: port 70000 is out of range 0-65535 (line 3)`, ErrInvalid},
		{"secureClientPortAddress=127.0.0.1", `zoo.cfg: secureClientPortAddress: is set but secureClientPort is not set (line 3)`, ErrInvalid},
		{"clientPortListenBacklog=z", `zoo.cfg: clientPortListenBacklog: "z" is not an integer (line 3)`, ErrInvalid},
		{"maxClientCnxns=-1", `zoo.cfg: maxClientCnxns: -1 must not be negative (line 3)`, ErrInvalid},
		{"maxClientCnxns=lots", `zoo.cfg: maxClientCnxns: "lots" is not an integer (line 3)`, ErrInvalid},
		{"maxCnxns=-2", `zoo.cfg: maxCnxns: -2 must not be negative (line 3)`, ErrInvalid},
		{"minSessionTimeout=a", `zoo.cfg: minSessionTimeout: "a" is not an integer (line 3)`, ErrInvalid},
		{"minSessionTimeout=-2", `zoo.cfg: minSessionTimeout: -2 must be -1 (2×tickTime) or at least 0 (line 3)`, ErrInvalid},
		{"maxSessionTimeout=-7", `zoo.cfg: maxSessionTimeout: -7 must be -1 (20×tickTime) or at least 0 (line 3)`, ErrInvalid},
		{"minSessionTimeout=70000", `zoo.cfg: minSessionTimeout: 70000 must not be larger than maxSessionTimeout (60000) (line 3)`, ErrInvalid},
		{"maxSessionTimeout=5000", `zoo.cfg: minSessionTimeout: 6000 must not be larger than maxSessionTimeout (5000)`, ErrInvalid},
		{"localSessionsEnabled=yes", `zoo.cfg: localSessionsEnabled: "yes" is not true or false (line 3)`, ErrInvalid},
		{"localSessionsUpgradingEnabled=1", `zoo.cfg: localSessionsUpgradingEnabled: "1" is not true or false (line 3)`, ErrInvalid},
		{"snapCount=many", `zoo.cfg: snapCount: "many" is not an integer (line 3)`, ErrInvalid},
		{"autopurge.snapRetainCount=x", `zoo.cfg: autopurge.snapRetainCount: "x" is not an integer (line 3)`, ErrInvalid},
		{"autopurge.purgeInterval=1h", `zoo.cfg: autopurge.purgeInterval: "1h" is not an integer (line 3)`, ErrInvalid},
		{"preAllocSize=-1", `zoo.cfg: preAllocSize: -1 must not be negative (line 3)`, ErrInvalid},
		{"preAllocSize=64M", `zoo.cfg: preAllocSize: "64M" is not an integer (line 3)`, ErrInvalid},
		{"jute.maxbuffer=0", `zoo.cfg: jute.maxbuffer: 0 must be positive (line 3)`, ErrInvalid},
		{"jute.maxbuffer=0xfffff", `zoo.cfg: jute.maxbuffer: "0xfffff" is not an integer (line 3)`, ErrInvalid},
		{"globalOutstandingLimit=-1", `zoo.cfg: globalOutstandingLimit: -1 must not be negative (line 3)`, ErrInvalid},
		{"extendedTypesEnabled=on", `zoo.cfg: extendedTypesEnabled: "on" is not true or false (line 3)`, ErrInvalid},
		{"reconfigEnabled=no", `zoo.cfg: reconfigEnabled: "no" is not true or false (line 3)`, ErrInvalid},
		{"standaloneEnabled=", `zoo.cfg: standaloneEnabled: "" is not true or false (line 3)`, ErrInvalid},
		{"admin.enableServer=0", `zoo.cfg: admin.enableServer: "0" is not true or false (line 3)`, ErrInvalid},
		{"admin.serverPort=-80", `zoo.cfg: admin.serverPort: port -80 is out of range 0-65535 (line 3)`, ErrInvalid},
		{"admin.serverAddress=", `zoo.cfg: admin.serverAddress: "" is not a host name or IP address (line 3)`, ErrInvalid},
		{"syncEnabled=maybe", `zoo.cfg: syncEnabled: "maybe" is not true or false (line 3)`, ErrInvalid},
		{"electionAlg=1", `zoo.cfg: electionAlg: 1 is not supported; only 3 is (line 3)`, ErrInvalid},
		{"electionAlg=x", `zoo.cfg: electionAlg: "x" is not an integer (line 3)`, ErrInvalid},
		{"quorumListenOnAllIPs=y", `zoo.cfg: quorumListenOnAllIPs: "y" is not true or false (line 3)`, ErrInvalid},
		{"peerType=leader", `zoo.cfg: peerType: unrecognised peer type "leader" (want participant or observer) (line 3)`, ErrInvalid},
		{"sslQuorum=yes", `zoo.cfg: sslQuorum: "yes" is not true or false (line 3)`, ErrInvalid},
		{"observerMasterPort=p", `zoo.cfg: observerMasterPort: "p" is not an integer (line 3)`, ErrInvalid},
		{"jvm.pause.sleep.time.ms=s", `zoo.cfg: jvm.pause.sleep.time.ms: "s" is not an integer (line 3)`, ErrInvalid},
		{"server.x=h:1:2", `zoo.cfg: server.x: "x" is not a server id (line 3)`, ErrInvalid},
		{"server.-1=h:1:2", `zoo.cfg: server.-1: server id -1 must not be negative (line 3)`, ErrInvalid},
		{"server.1=h:1", `zoo.cfg: server.1: "h:1" does not have the form ` + serverFormat + ` (line 3)`, ErrInvalid},
		{"server.1=h:1:1", `zoo.cfg: server.1: "h:1:1": quorum and election port must be different (line 3)`, ErrInvalid},
		{"server.1=h:1:2\nserver.01=h:3:4", `zoo.cfg: server.01: server id 1 is already defined by server.1 (line 4)`, ErrInvalid},
		{"group=1", `zoo.cfg: group: expected group.<id>=<server id>:<server id>:... (line 3)`, ErrInvalid},
		{"group.1=1:x", `zoo.cfg: group.1: "1:x" is not a list of server ids separated by ':' (line 3)`, ErrInvalid},
		{"group.1=1\ngroup.2=1", `zoo.cfg: group.2: server 1 is already in group 1 (line 4)`, ErrInvalid},
		{"weights.1=1", `zoo.cfg: weights.1: expected weight.<server id>=<weight> (line 3)`, ErrInvalid},
		{"weight.1=-1", `zoo.cfg: weight.1: "-1" is not a non-negative integer (line 3)`, ErrInvalid},
		{"server.1=h:1:2:observer", `zoo.cfg: server: observers without participants is an invalid configuration`, ErrInvalid},
		{"server.1=h:1:2\nserver.2=h:3:4:observer", `zoo.cfg: server: observers without a quorum is an invalid configuration`, ErrInvalid},
		{"standaloneEnabled=false", `zoo.cfg: standaloneEnabled: is false, so at least one participant server.N line is needed (line 3)`, ErrInvalid},
		{"server.1=a:1:2\nserver.2=b:1:2", `zoo.cfg: initLimit: is not set (required for a quorum)`, ErrMissing},
		{"server.1=a:1:2\nserver.2=b:1:2\ninitLimit=5", `zoo.cfg: syncLimit: is not set (required for a quorum)`, ErrMissing},
		{"standaloneEnabled=false\nserver.1=a:1:2\nsyncLimit=2", `zoo.cfg: initLimit: is not set (required for a quorum)`, ErrMissing},
		{"initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\ngroup.1=1:2",
			`zoo.cfg: server.3: server 3 is not in a group (line 7)`, ErrInvalid},
		{"dynamicConfigFile=zoo.cfg.dynamic\nserver.1=a:1:2", `zoo.cfg: server.1: must be in the separate dynamic config file when dynamicConfigFile is set (line 4)`, ErrInvalid},
		{"a=\\uXYZW", `zoo.cfg: line 3: invalid properties syntax: malformed \uXXXX escape "\\uXYZW"`, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, _, err := ParseKeeper(strings.NewReader(minimal+tt.text+"\n"), "zoo.cfg")
			if err == nil {
				t.Fatalf("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestKeeperMissingDataDir(t *testing.T) {
	for _, text := range []string{"clientPort=2181\n", "dataDir=\nclientPort=2181\n", "dataDir=   \n"} {
		_, _, err := ParseKeeper(strings.NewReader(text), "conf/zoo.cfg")
		if !errors.Is(err, ErrMissing) || !strings.HasPrefix(err.Error(), "conf/zoo.cfg: dataDir: is not set") {
			t.Errorf("%q: error = %v", text, err)
		}
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Key != "dataDir" || ke.File != "conf/zoo.cfg" {
			t.Errorf("%q: error %#v is not a KeyError for dataDir", text, err)
		}
	}
}

func TestKeeperClientPortAddressWithoutPort(t *testing.T) {
	_, _, err := ParseKeeper(strings.NewReader("dataDir=/d\nclientPortAddress=127.0.0.1\n"), "zoo.cfg")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "clientPortAddress: is set but clientPort is not set") {
		t.Errorf("error = %v", err)
	}
}

func TestKeeperWarnings(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"foo=bar", []string{`unknown key "foo" (line 3) ignored`}},
		{"# c\n\nfoo=bar\nbaz", []string{`unknown key "foo" (line 5) ignored`, `unknown key "baz" (line 6) ignored`}},
		{"zookeeper.foo=1\nssl.keyStore.location=/x\nauthProvider.sasl=x\nmetricsProvider.className=x\nskipACL=yes\nquorum.auth.enableSasl=false\nserverCnxnFactory=x", nil},
		{"autopurge.snapRetainCount=1", []string{"invalid autopurge.snapRetainCount 1; defaulting to 3"}},
		{"snapCount=1", []string{"snapCount 1 should be 2 or more; using 2"}},
		{"secureClientPort=2281", []string{"secureClientPort=2281 ignored: zkafka does not serve TLS"}},
		{"4lw.commands.whitelist=ruok,bogus", []string{`4lw.commands.whitelist: unknown command "bogus"`}},
		{"server.1=localhost:2888:3888", []string{"only one server specified; running standalone (set standaloneEnabled=false for a one-server quorum)"}},
		{"initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2", []string{"no server failure will be tolerated; you need at least 3 servers"}},
		{"initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2", []string{"non-optimal configuration; consider an odd number of servers"}},
		{"initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			k, w := parse(t, minimal+tt.text+"\n")
			if !reflect.DeepEqual(w, tt.want) {
				t.Errorf("warnings\n got %q\nwant %q", w, tt.want)
			}
			if tt.text == "autopurge.snapRetainCount=1" && k.SnapRetainCount != 3 {
				t.Errorf("SnapRetainCount = %d", k.SnapRetainCount)
			}
			if tt.text == "snapCount=1" && k.SnapCount != 2 {
				t.Errorf("SnapCount = %d", k.SnapCount)
			}
		})
	}
	k, _ := parse(t, minimal+"foo = bar baz \n")
	if k.Other["foo"] != "bar baz" {
		t.Errorf("Other[foo] = %q", k.Other["foo"])
	}
}

func TestParseServer(t *testing.T) {
	tests := []struct {
		in      string
		want    Server
		str     string
		wantErr string
	}{
		{in: "zk1:2888:3888", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			str: "zk1:2888:3888:participant"},
		{in: " zk1:2888:3888 ", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			str: "zk1:2888:3888:participant"},
		{in: "zk1:2888:3888:participant", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			str: "zk1:2888:3888:participant"},
		{in: "zk1:2888:3888:OBSERVER", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Observer: true},
			str: "zk1:2888:3888:observer"},
		{in: "zk1:2888:3888;2181", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, ClientPort: 2181},
			str: "zk1:2888:3888:participant;0.0.0.0:2181"},
		{in: "zk1:2888:3888:observer;127.0.0.1:2181", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888,
			Observer: true, ClientHost: "127.0.0.1", ClientPort: 2181},
			str: "zk1:2888:3888:observer;127.0.0.1:2181"},
		{in: "[::1]:2888:3888", want: Server{ID: 1, Host: "::1", QuorumPort: 2888, ElectionPort: 3888},
			str: "[::1]:2888:3888:participant"},
		{in: "[2001:db8::1]:2888:3888:participant;[::]:2181", want: Server{ID: 1, Host: "2001:db8::1", QuorumPort: 2888,
			ElectionPort: 3888, ClientHost: "::", ClientPort: 2181},
			str: "[2001:db8::1]:2888:3888:participant;[::]:2181"},
		{in: "zk1:2888:3888;", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			str: "zk1:2888:3888:participant"},
		{in: "zk1:2888:3888:", want: Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			str: "zk1:2888:3888:participant"},
		{in: "zk1", wantErr: "does not have the form"},
		{in: "zk1:2888", wantErr: "does not have the form"},
		{in: "zk1:2888:3888:observer:x", wantErr: "does not have the form"},
		{in: "zk1:2888:3888:leader", wantErr: `unrecognised peer type "leader"`},
		{in: "zk1:2888:3888;2181;2182", wantErr: "does not have the form"},
		{in: "zk1:2888:3888;a:b:2181", wantErr: "does not have the form"},
		{in: "zk1:x:3888", wantErr: `quorum port "x" is not an integer`},
		{in: "zk1:2888:y", wantErr: `election port "y" is not an integer`},
		{in: "zk1:-1:3888", wantErr: "quorum port -1 is out of range 0-65535"},
		{in: "zk1:2888:65536", wantErr: "election port 65536 is out of range 0-65535"},
		{in: "zk1:2888:3888;x", wantErr: `client port "x" is not an integer`},
		{in: "zk1:2888:3888;0", wantErr: "client port must be between 1 and 65535"},
		{in: "zk1:2888:3888;70000", wantErr: "client port 70000 is out of range"},
		{in: "zk1:2888:3888;:2181", wantErr: "empty client host"},
		{in: ":2888:3888", wantErr: "empty host"},
		{in: "[ ]:2888:3888", wantErr: "contains white space"},
		{in: "zk 1:2888:3888", wantErr: "contains white space"},
		{in: "zk1:2888:3888;[\t]:2181", wantErr: "client host \"\\t\" contains white space"},
		{in: "[\x03]:2888:3888", wantErr: "contains white space or a control character"},
		{in: "zk1:2888:2888", wantErr: "quorum and election port must be different"},
		{in: "[::1:2888:3888", wantErr: "has no matching ']'"},
		{in: "[::1]:", wantErr: "doesn't have a port after colon"},
		{in: "[::1]2888:3888", wantErr: "expected ':' after ']'"},
		{in: "a:1:2|b:1:2", wantErr: "multiAddress"},
		{in: "", wantErr: "does not have the form"},
		{in: "h:1:2;:", wantErr: "does not have the form"},
		{in: "h:1:2;::", wantErr: "does not have the form"},
		{in: "::::", wantErr: "does not have the form"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseServer(1, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseServer(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseServer(%q): %v", tt.in, err)
			}
			if s != tt.want {
				t.Errorf("ParseServer(%q) = %+v, want %+v", tt.in, s, tt.want)
			}
			if s.String() != tt.str {
				t.Errorf("String() = %q, want %q", s.String(), tt.str)
			}
			// The canonical form parses back to the same server.
			if again, err := ParseServer(1, s.String()); err != nil || again.String() != s.String() {
				t.Errorf("re-parse of %q: %+v, %v", s.String(), again, err)
			}
		})
	}
	s, _ := ParseServer(3, "[::1]:2888:3888;[::1]:2181")
	if s.QuorumAddr() != "[::1]:2888" || s.ElectionAddr() != "[::1]:3888" || s.ClientAddr() != "[::1]:2181" {
		t.Errorf("addrs: %q %q %q", s.QuorumAddr(), s.ElectionAddr(), s.ClientAddr())
	}
	s, _ = ParseServer(3, "h:1:2;2181")
	if s.ClientAddr() != ":2181" {
		t.Errorf("ClientAddr = %q", s.ClientAddr())
	}
	s, _ = ParseServer(3, "h:1:2")
	if s.ClientAddr() != "" {
		t.Errorf("ClientAddr = %q", s.ClientAddr())
	}
}

const quorum3 = `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/zk
server.3=zk3:2888:3888;2181
server.1=zk1:2888:3888;2181
server.2=zk2:2888:3888:observer;127.0.0.1:2182
server.4=zk4:2888:3888
`

func TestKeeperQuorum(t *testing.T) {
	k, w := parse(t, quorum3)
	if len(w) != 0 {
		// Three participants and an observer.
		t.Errorf("warnings = %q", w)
	}
	if k.Standalone() {
		t.Fatal("standalone")
	}
	var ids []int64
	for _, s := range k.Servers {
		ids = append(ids, s.ID)
	}
	if !reflect.DeepEqual(ids, []int64{1, 2, 3, 4}) {
		t.Errorf("server ids %v", ids)
	}
	if k.ClientPort != -1 || k.ClientAddr() != "" {
		t.Errorf("ClientPort %d before SetServerID", k.ClientPort)
	}

	// Server 2: client address and role from its line.
	k2, _ := parse(t, quorum3+"clientPort=2182\n")
	w, err := k2.SetServerID(2)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ClientAddr() != "127.0.0.1:2182" || !k2.Observer || k2.ServerID != 2 {
		t.Errorf("server 2: addr %q observer %v id %d", k2.ClientAddr(), k2.Observer, k2.ServerID)
	}
	if len(w) != 1 || !strings.Contains(w[0], "peerType (participant) does not match server.2 (observer)") {
		t.Errorf("warnings %q", w)
	}

	// Server 1: client port from its line when clientPort is absent.
	k1, _ := parse(t, quorum3)
	if _, err := k1.SetServerID(1); err != nil {
		t.Fatal(err)
	}
	if k1.ClientAddr() != ":2181" || k1.Observer {
		t.Errorf("server 1: addr %q", k1.ClientAddr())
	}

	// Server 4: no client part; the static clientPort stays.
	k4, _ := parse(t, quorum3+"clientPort=2185\n")
	if _, err := k4.SetServerID(4); err != nil {
		t.Fatal(err)
	}
	if k4.ClientAddr() != ":2185" {
		t.Errorf("server 4: addr %q", k4.ClientAddr())
	}

	// Conflicts between clientPort/clientPortAddress and the server line.
	for _, extra := range []string{"clientPort=2190\n", "clientPort=2182\nclientPortAddress=10.0.0.1\n"} {
		kc, _ := parse(t, quorum3+extra)
		if _, err := kc.SetServerID(2); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "server.2: client address") {
			t.Errorf("%q: error = %v", extra, err)
		}
	}
	kc, _ := parse(t, quorum3+"clientPort=2181\nclientPortAddress=0.0.0.0\n")
	if _, err := kc.SetServerID(1); err != nil {
		t.Errorf("wildcard clientPortAddress with same port: %v", err)
	}

	// Unknown id in a quorum.
	if _, err := k.SetServerID(9); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no server.9 line") {
		t.Errorf("SetServerID(9) error = %v", err)
	}
	if _, err := k.SetServerID(-1); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetServerID(-1) error = %v", err)
	}
	ke, _ := parse(t, quorum3+"extendedTypesEnabled=true\nserver.255=zk5:2888:3888\n")
	if _, err := ke.SetServerID(255); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "extendedTypesEnabled") {
		t.Errorf("SetServerID(255) with extended types: %v", err)
	}
}

func TestKeeperStandalone(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"", true},
		{"server.1=a:1:2", true},
		{"server.1=a:1:2;2181", true},
		{"standaloneEnabled=false\ninitLimit=1\nsyncLimit=1\nserver.1=a:1:2", false},
		{"initLimit=1\nsyncLimit=1\nserver.1=a:1:2\nserver.2=b:1:2", false},
		{"initLimit=1\nsyncLimit=1\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2:observer", false},
		{"dynamicConfigFile=/x/zoo.cfg.dynamic", true},
	}
	for _, tt := range tests {
		k, _ := parse(t, "dataDir=/d\n"+tt.text+"\n")
		if got := k.Standalone(); got != tt.want {
			t.Errorf("%q: Standalone = %v, want %v", tt.text, got, tt.want)
		}
	}
	// A single server line with a client port gives the client port once
	// the id is known, as in ZooKeeper.
	k, _ := parse(t, "dataDir=/d\nserver.1=a:1:2;2181\n")
	if _, err := k.SetServerID(1); err != nil || k.ClientAddr() != ":2181" {
		t.Errorf("SetServerID: %v, addr %q", err, k.ClientAddr())
	}
	// A standalone server whose id is not listed is fine.
	if _, err := k.SetServerID(7); err != nil {
		t.Errorf("SetServerID(7) standalone: %v", err)
	}
}

func TestKeeperHierarchical(t *testing.T) {
	k, _ := parse(t, `dataDir=/d
initLimit=5
syncLimit=2
server.1=a:1:2
server.2=b:1:2
server.3=c:1:2
server.4=d:1:2:observer
group.2=3
group.1=2:1
weight.1=3
`)
	if !reflect.DeepEqual(k.Groups, map[int64][]int64{1: {2, 1}, 2: {3}}) {
		t.Errorf("Groups = %v", k.Groups)
	}
	if !reflect.DeepEqual(k.Weights, map[int64]int64{1: 3, 2: 1, 3: 1}) {
		t.Errorf("Weights = %v", k.Weights)
	}
	want := []string{
		"server.1=a:1:2:participant",
		"server.2=b:1:2:participant",
		"server.3=c:1:2:participant",
		"server.4=d:1:2:observer",
		"group.1=1:2",
		"group.2=3",
		"weight.1=3",
		"weight.2=1",
		"weight.3=1",
		"version=0",
	}
	if got := k.Membership(); !reflect.DeepEqual(got, want) {
		t.Errorf("Membership\n got %q\nwant %q", got, want)
	}
}

func TestConfLines(t *testing.T) {
	k, _ := parse(t, minimal+"tickTime=2000\n")
	want := []string{
		"clientPort=2181",
		"secureClientPort=-1",
		"dataDir=/var/zk/version-2",
		"dataDirSize=0",
		"dataLogDir=/var/zk/version-2",
		"dataLogSize=0",
		"tickTime=2000",
		"maxClientCnxns=60",
		"minSessionTimeout=4000",
		"maxSessionTimeout=40000",
		"clientPortListenBacklog=-1",
		"serverId=0",
	}
	if got := k.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("Lines\n got %q\nwant %q", got, want)
	}
	got := k.ConfLines(ConfRuntime{ClientPort: 34567, DataDir: "/abs/zk/version-2", DataLogDir: "/abs/log/version-2", DataDirSize: 10, DataLogSize: 20})
	want[0], want[2], want[3], want[4], want[5] = "clientPort=34567", "dataDir=/abs/zk/version-2", "dataDirSize=10", "dataLogDir=/abs/log/version-2", "dataLogSize=20"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfLines\n got %q\nwant %q", got, want)
	}

	q, _ := parse(t, quorum3)
	if _, err := q.SetServerID(2); err != nil {
		t.Fatal(err)
	}
	wantQ := []string{
		"clientPort=2182",
		"secureClientPort=-1",
		"dataDir=/var/zk/version-2",
		"dataDirSize=0",
		"dataLogDir=/var/zk/version-2",
		"dataLogSize=0",
		"tickTime=2000",
		"maxClientCnxns=60",
		"minSessionTimeout=4000",
		"maxSessionTimeout=40000",
		"clientPortListenBacklog=-1",
		"serverId=2",
		"initLimit=10",
		"syncLimit=5",
		"electionAlg=3",
		"electionPort=3888",
		"quorumPort=2888",
		"peerType=1",
		"membership: ",
		"server.1=zk1:2888:3888:participant;0.0.0.0:2181",
		"server.2=zk2:2888:3888:observer;127.0.0.1:2182",
		"server.3=zk3:2888:3888:participant;0.0.0.0:2181",
		"server.4=zk4:2888:3888:participant",
		"version=0",
	}
	if got := q.Lines(); !reflect.DeepEqual(got, wantQ) {
		t.Errorf("quorum Lines\n got %q\nwant %q", got, wantQ)
	}
}

func TestValidateHandBuilt(t *testing.T) {
	k := NewKeeper()
	if err := k.Validate(); !errors.Is(err, ErrMissing) || err.Error() != "dataDir: is not set" {
		t.Errorf("Validate without dataDir: %v", err)
	}
	k.DataDir = "/d"
	k.ClientPort = 0
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	if k.DataLogDir != "/d" || k.MinSessionTimeout != 6000 || k.MaxSessionTimeout != 60000 {
		t.Errorf("derived defaults not filled: %+v", k)
	}
	k.ClientPort = 70000
	if err := k.Validate(); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "clientPort:") {
		t.Errorf("Validate with port 70000: %v", err)
	}
	k = NewKeeper()
	k.DataDir = "/d"
	k.Servers = []Server{{ID: 2, Host: "a", QuorumPort: 1, ElectionPort: 2}, {ID: 1, Host: "b", QuorumPort: 1, ElectionPort: 2}}
	k.InitLimit, k.SyncLimit = 1, 1
	if err := k.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate with unsorted servers: %v", err)
	}
	var zero Keeper
	if err := zero.Validate(); !errors.Is(err, ErrMissing) {
		t.Errorf("Validate of zero Keeper: %v", err)
	}
}

func TestDurationsSaturate(t *testing.T) {
	k := NewKeeper()
	k.TickTime = 1<<31 - 1
	k.InitLimit = 1<<31 - 1
	if d := k.InitLimitDuration(); d <= 0 {
		t.Errorf("InitLimitDuration overflowed: %v", d)
	}
	k.ConnectToLearnerMasterLimit = 0
	if k.ConnectToLearnerMasterDuration() != k.InitLimitDuration() {
		t.Error("ConnectToLearnerMasterDuration is not InitLimitDuration when unset")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadMyID(t *testing.T) {
	tests := []struct {
		content string
		want    int64
		wantErr string
	}{
		{content: "1", want: 1},
		{content: "1\n", want: 1},
		{content: "  42 \r\n\n", want: 42},
		{content: "0", want: 0},
		{content: "255", want: 255},
		{content: "9223372036854775807", want: 9223372036854775807},
		{content: "", wantErr: "the file is empty"},
		{content: " \n", wantErr: "the file is empty"},
		{content: "abc", wantErr: `"abc" is not a server id`},
		{content: "1 2", wantErr: `"1 2" is not a server id`},
		{content: "1\n2\n", wantErr: `"1\n2" is not a server id`},
		{content: "1.0", wantErr: `"1.0" is not a server id`},
		{content: "0x1", wantErr: `"0x1" is not a server id`},
		{content: "-1", wantErr: "server id -1 must not be negative"},
		{content: "99999999999999999999", wantErr: "is not a server id"},
		{content: strings.Repeat("x", 100), wantErr: `"` + strings.Repeat("x", 40) + `..." is not a server id`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "myid"), tt.content)
		id, err := ReadMyID(dir)
		if tt.wantErr != "" {
			if !errors.Is(err, ErrBadMyID) || !strings.Contains(err.Error(), tt.wantErr) ||
				!strings.Contains(err.Error(), filepath.Join(dir, "myid")) {
				t.Errorf("content %q: error = %v, want one naming the file and containing %q", tt.content, err, tt.wantErr)
			}
			continue
		}
		if err != nil || id != tt.want {
			t.Errorf("content %q: %d, %v; want %d", tt.content, id, err, tt.want)
		}
	}
	dir := t.TempDir()
	_, err := ReadMyID(dir)
	if !errors.Is(err, ErrNoMyID) || !strings.Contains(err.Error(), filepath.Join(dir, "myid")) {
		t.Errorf("missing myid: %v", err)
	}
	if errors.Is(err, ErrBadMyID) {
		t.Error("missing myid is also ErrBadMyID")
	}
	// A directory named myid is neither missing nor readable as a number.
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "myid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMyID(dir); err == nil || errors.Is(err, ErrNoMyID) {
		t.Errorf("myid directory: %v", err)
	}
}

func TestLoadKeeper(t *testing.T) {
	t.Run("standalone without myid", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		writeFile(t, cfg, "dataDir="+dir+"\nclientPort=2181\n")
		k, w, err := LoadKeeper(cfg)
		if err != nil || len(w) != 0 {
			t.Fatalf("LoadKeeper: %v, %q", err, w)
		}
		if k.ServerID != -1 || k.ClientAddr() != ":2181" {
			t.Errorf("ServerID %d addr %q", k.ServerID, k.ClientAddr())
		}
	})
	t.Run("standalone with bad myid", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		writeFile(t, cfg, "dataDir="+dir+"\nclientPort=2181\n")
		writeFile(t, filepath.Join(dir, "myid"), "one")
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, ErrBadMyID) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("quorum needs myid", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		writeFile(t, cfg, strings.Replace(quorum3, "/var/zk", dir, 1))
		_, _, err := LoadKeeper(cfg)
		if !errors.Is(err, ErrNoMyID) {
			t.Fatalf("error = %v", err)
		}
		writeFile(t, filepath.Join(dir, "myid"), "3\n")
		k, _, err := LoadKeeper(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if k.ServerID != 3 || k.ClientAddr() != ":2181" {
			t.Errorf("ServerID %d addr %q", k.ServerID, k.ClientAddr())
		}
		writeFile(t, filepath.Join(dir, "myid"), "9\n")
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), cfg+": ") {
			t.Errorf("unknown id: %v", err)
		}
	})
	t.Run("no client port warns", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		writeFile(t, cfg, "dataDir="+dir+"\n")
		_, w, err := LoadKeeper(cfg)
		if err != nil || len(w) != 1 || !strings.Contains(w[0], "clientPort") {
			t.Errorf("LoadKeeper: %v, %q", err, w)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := LoadKeeper(filepath.Join(t.TempDir(), "nope.cfg"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("bad value names the path", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		writeFile(t, cfg, "dataDir="+dir+"\ntickTime=abc\n")
		_, _, err := LoadKeeper(cfg)
		if err == nil || err.Error() != cfg+`: tickTime: "abc" is not an integer (line 2)` {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("dynamic config file", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "zoo.cfg")
		dyn := filepath.Join(dir, "zoo.cfg.dynamic.100000000")
		writeFile(t, cfg, "dataDir="+dir+"\ninitLimit=5\nsyncLimit=2\nstandaloneEnabled=false\nreconfigEnabled=true\ndynamicConfigFile="+dyn+"\n")
		writeFile(t, dyn, "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\nserver.3=127.0.0.1:2890:3890:participant;127.0.0.1:2183\n")
		writeFile(t, filepath.Join(dir, "myid"), "2")
		k, w, err := LoadKeeper(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) != 0 {
			t.Errorf("warnings %q", w)
		}
		if len(k.Servers) != 3 || k.ConfigVersion != 0x100000000 || k.Standalone() || k.ClientAddr() != "127.0.0.1:2182" {
			t.Errorf("servers %d version %x standalone %v addr %q", len(k.Servers), k.ConfigVersion, k.Standalone(), k.ClientAddr())
		}
		if m := k.Membership(); m[len(m)-1] != "version=100000000" {
			t.Errorf("Membership = %q", m)
		}
		writeFile(t, dyn, "server.1=127.0.0.1:2888:3888\ntickTime=5\n")
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), dyn+": tickTime: unrecognised parameter") {
			t.Errorf("dynamic file with tickTime: %v", err)
		}
		writeFile(t, dyn, "server.1=127.0.0.1:2888:3888\nversion=5\n")
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "version") {
			t.Errorf("dynamic file with version: %v", err)
		}
		writeFile(t, dyn, "server.1=127.0.0.1:2888\n")
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), dyn+": server.1:") {
			t.Errorf("dynamic file with bad server: %v", err)
		}
		os.Remove(dyn)
		if _, _, err := LoadKeeper(cfg); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing dynamic file: %v", err)
		}
	})
}

func TestVersionFromFilename(t *testing.T) {
	for name, want := range map[string]int64{
		"zoo.cfg.dynamic.0":         0,
		"zoo.cfg.dynamic.100000000": 0x100000000,
		"zoo.cfg.dynamic":           0,
		"dynamic":                   0,
		"/a.b/zoo.cfg.dynamic.1f":   0x1f,
	} {
		if got := versionFromFilename(name); got != want {
			t.Errorf("versionFromFilename(%q) = %x, want %x", name, got, want)
		}
	}
}

func FuzzParseKeeper(f *testing.F) {
	for _, s := range []string{
		minimal,
		quorum3,
		"dataDir=/d\nserver.1=[::1]:1:2;[::1]:3\n",
		"dataDir=/d\nstandaloneEnabled=false\ninitLimit=1\nsyncLimit=1\nserver.1=a:1:2\ngroup.1=1\nweight.1=2\n",
		"dataDir=/d\ntickTime=1\nminSessionTimeout=0\nmaxSessionTimeout=0\n",
		"dataDir=/d\n4lw.commands.whitelist=*\nfoo=bar\n",
		"tickTime=abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k, _, err := ParseKeeper(strings.NewReader(in), "zoo.cfg")
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if !strings.HasPrefix(err.Error(), "zoo.cfg: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("Validate after a successful parse: %v", err)
		}
		if k.MinSessionTimeout > k.MaxSessionTimeout || k.TickTime <= 0 || k.DataDir == "" || k.DataLogDir == "" {
			t.Fatalf("invariants broken: %+v", k)
		}
		_ = k.Lines()
		_ = k.ClientAddr()
		_ = k.Standalone()
		for _, s := range k.Servers {
			again, err := ParseServer(s.ID, s.String())
			if err != nil || again.String() != s.String() {
				t.Fatalf("server %+v: canonical form %q re-parses to %+v, %v", s, s.String(), again, err)
			}
			_, _ = k.SetServerID(s.ID)
			_ = k.Lines()
		}
	})
}
