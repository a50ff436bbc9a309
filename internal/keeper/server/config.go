package server

import (
	"log/slog"
	"time"

	"github.com/zkafka/zkafka/internal/config"
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
