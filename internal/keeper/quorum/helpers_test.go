package quorum

import (
	"io"
	"time"
)

type (
	ioWriter = io.Writer
	ioReader = io.Reader
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

// waitBriefly lets a background snapshot load progress while polling.
func waitBriefly() { time.Sleep(time.Millisecond) }
