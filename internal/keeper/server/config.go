package server

import (
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
)

// JoinKey is the zoo.cfg key that makes a fresh ensemble member join a
// running ensemble (EnsembleOptions.Join).
const JoinKey = "zkafka.joinEnsemble"

// OptionsFromConfig maps a validated zoo.cfg onto server options.
func OptionsFromConfig(k *config.Keeper, logger *slog.Logger) Options {
	o := Options{
		ClientAddr:        k.ClientAddr(),
		DataDir:           k.DataDir,
		DataLogDir:        k.DataLogDir,
		TickTime:          k.TickDuration(),
		MinSessionTimeout: k.MinSessionTimeoutDuration(),
		MaxSessionTimeout: k.MaxSessionTimeoutDuration(),
		MaxClientCnxns:    k.MaxClientCnxns,
		MaxBuffer:         k.JuteMaxBuffer,
		SnapCount:         k.SnapCount,
		SnapRetainCount:   k.SnapRetainCount,
		PurgeInterval:     k.PurgeIntervalDuration(),
		ExtendedTypes:     k.ExtendedTypesEnabled,
		ReconfigEnabled:   k.ReconfigEnabled,
		FourLetterWords:   k.FourLetterWords,
		ServerID:          max(k.ServerID, 0),
		ConfLines:         k.Lines(),
		AdminAddr:         k.AdminAddr(),
		Logger:            logger,
	}
	if !k.Standalone() {
		o.Ensemble = EnsembleFromConfig(k)
	}
	if o.FourLetterWords == nil {
		o.FourLetterWords = []string{"srvr"}
	}
	if v, ok := k.Other["DigestAuthenticationProvider.superDigest"]; ok {
		o.SuperDigest = v
	}
	if v, ok := k.Other["znode.container.checkIntervalMs"]; ok {
		if d, err := time.ParseDuration(v + "ms"); err == nil {
			o.ContainerCheckInterval = d
		}
	}
	return o
}

// EnsembleFromConfig maps the server.N lines of a quorum configuration onto
// ensemble options: every line is a member (observers are raft learners,
// peers dial host:quorumPort), this server (myid) listens on its own
// quorumPort (on every interface with quorumListenOnAllIPs). The
// electionPort is accepted but not used: raft elections travel on the
// quorum port.
//
// Read-only mode is ZooKeeper's readonlymode.enabled, which Apache reads as
// the Java system property -Dreadonlymode.enabled=true (a zoo.cfg line
// would become the unread property zookeeper.readonlymode.enabled);
// zkafka has no JVM, so it takes the zoo.cfg key readonlymode.enabled
// (true in any case, as Boolean.getBoolean). zkafka.joinEnsemble=true
// makes a fresh server wait to be added by a reconfig instead of starting
// a new ensemble with the server.N lines (ZooKeeper needs no such key: its
// newest configuration version wins; raft needs to be told).
func EnsembleFromConfig(k *config.Keeper) *EnsembleOptions {
	e := &EnsembleOptions{ID: uint64(max(k.ServerID, 0)), InitLimit: k.InitLimit, SyncLimit: k.SyncLimit,
		ReadOnly:          strings.EqualFold(strings.TrimSpace(k.Other["readonlymode.enabled"]), "true"),
		Join:              strings.EqualFold(strings.TrimSpace(k.Other[JoinKey]), "true"),
		StandaloneEnabled: k.StandaloneEnabled,
		Servers:           slices.Clone(k.Servers),
	}
	for _, s := range k.Servers {
		e.Members = append(e.Members, quorum.Member{ID: uint64(s.ID), Addr: s.QuorumAddr(), Learner: s.Observer})
		if s.ID == k.ServerID {
			e.PeerAddr = s.QuorumAddr()
			if k.QuorumListenOnAllIPs {
				e.PeerAddr = net.JoinHostPort("", strconv.Itoa(s.QuorumPort))
			}
		}
	}
	return e
}
