package server

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
)

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
func EnsembleFromConfig(k *config.Keeper) *EnsembleOptions {
	e := &EnsembleOptions{ID: uint64(max(k.ServerID, 0)), InitLimit: k.InitLimit, SyncLimit: k.SyncLimit}
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
