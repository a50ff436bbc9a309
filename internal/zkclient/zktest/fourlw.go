package zktest

import (
	"fmt"
	"io"
	"net"
	"time"
)

// FourLetter sends a four-letter word (ruok, srvr, mntr, ...) to the server
// at addr and returns its whole answer.
func FourLetter(addr, word string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", fmt.Errorf("zktest: %s to %s: %w", word, addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("zktest: %s to %s: %w", word, addr, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), fmt.Errorf("zktest: %s from %s: %w", word, addr, err)
	}
	return string(b), nil
}
