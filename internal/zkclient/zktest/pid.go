package zktest

// Pid returns the server's process id (0 once Stop has run), for tests that kill or
// signal a member themselves, such as a leader-failover benchmark.
func (s *Server) Pid() int { return s.pid }
