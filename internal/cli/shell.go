package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/zkclient"
)

// console serialises writes to stdout and stderr, as each Java println is
// atomic.
type console struct {
	mu       sync.Mutex
	out, err io.Writer
}

func (c *console) write(w io.Writer, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(w, s)
}

func (c *console) outln(s string) { c.write(c.out, s+"\n") }
func (c *console) outs(s string)  { c.write(c.out, s) }
func (c *console) errln(s string) { c.write(c.err, s+"\n") }

// cliError is a CliException: zkCli prints its message on stderr and sets
// the exit status to code.
type cliError struct {
	msg  string
	code int
}

// Error implements error.
func (e *cliError) Error() string { return e.msg }

func usageErr(msg string) error { return &cliError{msg: msg, code: 1} }

// crashError is a Java runtime exception that escapes zkCli and ends the
// JVM with status 1 after printing its first line.
type crashError struct{ class, msg string }

// Error implements error.
func (e *crashError) Error() string { return e.class + ": " + e.msg }

func crash(class, msg string) error { return &crashError{class: class, msg: msg} }

// errQuit is the quit command.
var errQuit = errors.New("quit")

// shell is one run of the CLI: ZooKeeperMain.
type shell struct {
	ctx  context.Context
	cfg  Config
	con  *console
	cmds map[string]*command

	server, timeout string
	readOnly        bool
	waitForConn     bool

	zk       *zkclient.Client
	host     string
	history  map[int]string
	count    int
	exitCode int
	lastArgs []string

	printWatches atomic.Bool
	quiet        atomic.Bool // the shell is ending: print no more events
}

func newShell(ctx context.Context, cfg Config) *shell {
	s := &shell{
		ctx:     ctx,
		cfg:     cfg,
		con:     &console{out: cfg.Stdout, err: cfg.Stderr},
		cmds:    commandTable(cfg.Dialect),
		server:  "localhost:2181",
		timeout: "30000",
		history: map[int]string{},
	}
	s.printWatches.Store(true)
	return s
}

// parseArgs is MyCommandOptions.parseOptions: options up to the first
// argument that does not start with '-', which starts the command.
// Unknown options are ignored. It returns the command, or nil.
func (s *shell) parseArgs(args []string) []string {
	for i := 0; i < len(args); i++ {
		opt := args[i]
		key := opt
		if strings.HasPrefix(key, "--") {
			key = key[1:] // --server works as -server
		}
		needsValue := key == "-server" || key == "-timeout" || key == "-client-configuration"
		if needsValue {
			if i+1 >= len(args) {
				s.con.errln("Error: no argument found for option " + opt)
				return nil
			}
			i++
			switch key {
			case "-server":
				s.server = args[i]
			case "-timeout":
				s.timeout = args[i]
			case "-client-configuration":
				s.cfg.Logger.Warn("ignoring -client-configuration: Java client properties are not supported", "file", args[i])
			}
			continue
		}
		switch key {
		case "-r":
			s.readOnly = true
		case "-waitforconnection":
			s.waitForConn = true
		}
		if !strings.HasPrefix(opt, "-") {
			return append([]string(nil), args[i:]...)
		}
	}
	return nil
}

// main is ZooKeeperMain's constructor and run().
func (s *shell) main() int {
	cmd := s.parseArgs(s.cfg.Args)
	s.con.outln("Connecting to " + s.server)
	if err := s.connect(s.server); err != nil {
		return s.end(err)
	}
	if cmd != nil {
		s.lastArgs = cmd
		if err := s.processCmd(cmd); err != nil {
			return s.end(err)
		}
		return s.end(nil)
	}
	s.con.outln("Welcome to ZooKeeper!")
	if s.cfg.Terminal {
		s.con.outln("JLine support is enabled")
	} else {
		s.con.outln("JLine support is disabled")
	}
	in := bufio.NewReader(s.cfg.Stdin)
	for {
		if s.cfg.Terminal {
			s.con.outs(s.prompt())
		}
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			break
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if err := s.executeLine(line); err != nil {
			return s.end(err)
		}
	}
	return s.end(nil)
}

// end finishes the run: quit closes the session, anything else leaves it
// to expire (the JVM exits without closing it), a crash prints the
// exception.
func (s *shell) end(err error) int {
	code := s.exitCode
	var ce *crashError
	if errors.Is(err, errQuit) {
		// Java's close waits for a connection to send closeSession on, and
		// its Closed event usually makes it out before the JVM exits.
		if s.zk != nil {
			if ms, err := javaParseInt(s.timeout); err == nil {
				ctx, cancel := context.WithTimeout(s.ctx, time.Duration(ms)*time.Millisecond)
				s.zk.WaitConnected(ctx)
				cancel()
			}
			s.zk.Close()
		}
		s.quiet.Store(true)
		return code
	}
	s.quiet.Store(true)
	switch {
	case errors.As(err, &ce):
		s.con.errln(`Exception in thread "main" ` + ce.Error())
		code = 1
	}
	if s.zk != nil {
		s.zk.Abandon()
	}
	return code
}

func (s *shell) prompt() string {
	state := "CLOSED"
	if s.zk != nil {
		state = s.zk.State().String()
	}
	return fmt.Sprintf("[zk: %s(%s) %d] ", s.host, state, s.count)
}

// connect is connectToZK: close the current session if alive, start a new
// one and, with -waitforconnection, wait for it.
func (s *shell) connect(host string) error {
	if s.zk != nil && s.zk.State().Alive() {
		s.zk.Close()
	}
	s.host = host
	ms, err := javaParseInt(s.timeout)
	if err != nil {
		return err
	}
	connected := make(chan struct{})
	var once sync.Once
	zk, err := zkclient.New(zkclient.Options{
		Servers:        host,
		SessionTimeout: time.Duration(ms) * time.Millisecond,
		ReadOnly:       s.readOnly,
		OrderedEvents:  true,
		Logger:         s.cfg.Logger,
		Watcher: func(ev zkclient.Event) {
			s.printEvent(ev)
			if ev.Type == zkclient.EventNone && ev.State == zkclient.KeeperSyncConnected {
				once.Do(func() { close(connected) })
			}
		},
	})
	if err != nil {
		var pe *zkclient.PathError
		if errors.As(err, &pe) {
			return crash("java.lang.IllegalArgumentException", pe.Reason)
		}
		return crash("java.lang.IllegalArgumentException", err.Error())
	}
	s.zk = zk
	if s.waitForConn {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-connected:
		case <-t.C:
			zk.Close()
			return crash("java.io.IOException", "org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss")
		case <-s.ctx.Done():
			return crash("java.lang.InterruptedException", s.ctx.Err().Error())
		}
	}
	return nil
}

// printEvent is MyWatcher.process.
func (s *shell) printEvent(ev zkclient.Event) {
	if s.quiet.Load() || !s.printWatches.Load() {
		return
	}
	s.con.outln("\nWATCHER::")
	s.con.outln("\n" + ev.Format(s.cfg.Dialect == Dialect39))
}

// executeLine runs one line of input; blank lines are skipped and not
// counted.
func (s *shell) executeLine(line string) error {
	if line == "" {
		return nil
	}
	// A line without tokens re-runs the previous command, as zkCli's
	// parseCommand leaves it in place.
	if args := splitCommand(line); args != nil {
		s.lastArgs = args
	}
	s.history[s.count] = line
	err := s.processCmd(s.lastArgs)
	s.count++
	return err
}

// processCmd runs a command and records its exit status; CLI errors are
// printed here, crashes and quit are returned.
func (s *shell) processCmd(args []string) error {
	err := s.processZKCmd(args)
	var ce *cliError
	if errors.As(err, &ce) {
		s.exitCode = ce.code
		s.con.errln(ce.msg)
		return nil
	}
	if err != nil {
		return err
	}
	s.exitCode = 0
	return nil
}

// usage prints the list of commands on stderr.
func (s *shell) usage() {
	var b strings.Builder
	b.WriteString("ZooKeeper -server host:port -client-configuration properties-file cmd args\n")
	names := make([]string, 0, len(s.cmds))
	for n := range s.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString("\t" + n + " " + s.cmds[n].optionStr + "\n")
	}
	s.con.write(s.con.err, b.String())
}

// processZKCmd is ZooKeeperMain.processZKCmd.
func (s *shell) processZKCmd(args []string) error {
	if len(args) < 1 {
		s.usage()
		return usageErr("No command entered")
	}
	name := args[0]
	c := s.cmds[name]
	if c == nil {
		s.usage()
		return &cliError{msg: "Command not found: Command not found " + name, code: 127}
	}
	switch {
	case name == "quit":
		return errQuit
	case name == "redo" && len(args) >= 2:
		i, err := javaDecodeInt(args[1])
		if err != nil {
			return err
		}
		if s.count <= i || i < 0 {
			return usageErr("Command index out of range")
		}
		redo := splitCommand(s.history[i])
		if redo != nil {
			s.lastArgs = redo
		}
		if len(s.lastArgs) > 0 && s.lastArgs[0] == "redo" {
			return usageErr("No redoing redos")
		}
		s.history[s.count] = s.history[i]
		if err := s.processCmd(s.lastArgs); err != nil {
			return err
		}
	case name == "history":
		for i := s.count - 10; i <= s.count; i++ {
			if i < 0 {
				continue
			}
			h, ok := s.history[i]
			if !ok {
				h = "null"
			}
			s.con.outln(strconv.Itoa(i) + " - " + h)
		}
	case name == "printwatches":
		if len(args) == 1 {
			state := "off"
			if s.printWatches.Load() {
				state = "on"
			}
			s.con.outln("printwatches is " + state)
		} else {
			s.printWatches.Store(args[1] == "on")
		}
	case name == "connect":
		host := s.host
		if len(args) >= 2 {
			host = args[1]
		}
		if err := s.connect(host); err != nil {
			return err
		}
	}
	if s.zk == nil || !s.zk.State().Alive() {
		s.con.outln("Not connected")
		return nil
	}
	if c.run != nil {
		return c.run(s, args)
	}
	return nil
}
