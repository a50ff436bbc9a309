package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// javaSpace is Java's \s.
const javaSpace = ` \t\n\x0B\f\r`

// argsPattern is ZooKeeperMain.MyCommandOptions.ARGS_PATTERN: a token is a
// run of non-blanks that does not start with a quote, or a quoted string.
var argsPattern = regexp.MustCompile(`[` + javaSpace + `]*([^"'][^` + javaSpace + `]*|"[^"]*"|'[^']*')[` + javaSpace + `]*`)

// splitCommand breaks a shell line into a command and its arguments as
// zkCli's parseCommand does: quoted tokens lose their quotes, an unclosed
// quote is skipped over. It returns nil when the line holds no token.
func splitCommand(line string) []string {
	var out []string
	for _, m := range argsPattern.FindAllStringSubmatch(line, -1) {
		v := m[1]
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, v)
	}
	return out
}

// optSpec is one option of a command, as Apache commons-cli's Option.
type optSpec struct {
	name   string
	hasArg bool
	desc   string
}

// cmdLine is a parsed command: its non-option arguments (the first is the
// command itself) and the options given, with their values.
type cmdLine struct {
	args []string
	opts map[string][]string
	seen []string // option names in order of appearance
}

func (c *cmdLine) has(name string) bool {
	_, ok := c.opts[name]
	return ok
}

// value returns the first value given to an option.
func (c *cmdLine) value(name string) string {
	if v := c.opts[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseError is a commons-cli ParseException; zkCli prints it as
// Throwable.toString(): the class name, a colon, the message.
type parseError struct {
	class string
	msg   string
}

// Error implements error.
func (e *parseError) Error() string { return "org.apache.commons.cli." + e.class + ": " + e.msg }

// parseOptions parses tokens as commons-cli 1.5's DefaultParser does with
// the given options (none of them long): options may appear anywhere,
// "--" ends them, "-abc" groups options without values, "-v5" and "-v=5"
// give a value, unknown options are errors and a dash followed by a number
// is an option value but never an argument.
func parseOptions(specs []optSpec, tokens []string) (*cmdLine, error) {
	return parseGroup(specs, nil, false, tokens)
}

// parseGroup is parseOptions with an OptionGroup: at most one of the
// options named in group may be given, and with required one must be.
func parseGroup(specs []optSpec, group []string, required bool, tokens []string) (*cmdLine, error) {
	p := optParser{specs: specs, group: group, cl: &cmdLine{opts: map[string][]string{}}}
	for _, tok := range tokens {
		if err := p.token(tok); err != nil {
			return nil, err
		}
	}
	if err := p.checkRequiredArgs(); err != nil {
		return nil, err
	}
	if required && p.selected == "" {
		var items []string
		for _, name := range group {
			s := p.spec(name)
			items = append(items, "-"+s.name+" "+s.desc)
		}
		return nil, &parseError{"MissingOptionException", "Missing required option: [" + strings.Join(items, ", ") + "]"}
	}
	return p.cl, nil
}

type optParser struct {
	specs    []optSpec
	group    []string
	selected string // the group's option given
	cl       *cmdLine
	skip     bool
	current  *optSpec
	nvals    int // values given to current
}

func (p *optParser) spec(name string) *optSpec {
	for i := range p.specs {
		if p.specs[i].name == name {
			return &p.specs[i]
		}
	}
	return nil
}

func (p *optParser) acceptsArg() bool { return p.current != nil && p.current.hasArg && p.nvals < 1 }

func (p *optParser) token(tok string) error {
	switch {
	case p.skip:
		p.cl.args = append(p.cl.args, tok)
	case tok == "--":
		p.skip = true
	case p.acceptsArg() && p.isArgument(tok):
		p.addValue(stripQuotes(tok))
	case strings.HasPrefix(tok, "--"):
		// No command has long options: every one is unknown.
		if err := p.unknown(tok); err != nil {
			return err
		}
	case strings.HasPrefix(tok, "-") && tok != "-":
		if err := p.shortOption(tok); err != nil {
			return err
		}
	default:
		if err := p.unknown(tok); err != nil {
			return err
		}
	}
	if p.current != nil && !p.acceptsArg() {
		p.current = nil
	}
	return nil
}

func (p *optParser) isArgument(tok string) bool { return !p.isOption(tok) || isNegativeNumber(tok) }

func (p *optParser) isOption(tok string) bool {
	if !strings.HasPrefix(tok, "-") || len(tok) == 1 {
		return false
	}
	name := tok[1:]
	if i := strings.IndexByte(tok, '='); i >= 0 {
		name = tok[1:i]
	}
	if p.spec(name) != nil {
		return true
	}
	return name != "" && p.spec(name[:1]) != nil
}

// isNegativeNumber approximates Double.parseDouble succeeding.
func isNegativeNumber(tok string) bool {
	t := strings.TrimSpace(tok)
	t = strings.TrimRight(t, "dDfF")
	_, err := strconv.ParseFloat(t, 64)
	return err == nil
}

func (p *optParser) unknown(tok string) error {
	if strings.HasPrefix(tok, "-") && len(tok) > 1 {
		return &parseError{"UnrecognizedOptionException", "Unrecognized option: " + tok}
	}
	p.cl.args = append(p.cl.args, tok)
	return nil
}

func (p *optParser) shortOption(tok string) error {
	t := strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "-")
	eq := strings.IndexByte(t, '=')
	switch {
	case len(t) == 1:
		if s := p.spec(t); s != nil {
			return p.option(s)
		}
		return p.unknown(tok)
	case eq < 0:
		if s := p.spec(t); s != nil {
			return p.option(s)
		}
		return p.concatenated(tok)
	default:
		name, value := t[:eq], t[eq+1:]
		if len(name) == 1 {
			if s := p.spec(name); s != nil && s.hasArg {
				if err := p.option(s); err != nil {
					return err
				}
				p.addValue(value)
				p.current = nil
				return nil
			}
		}
		return p.unknown(tok)
	}
}

func (p *optParser) concatenated(tok string) error {
	for i := 1; i < len(tok); i++ {
		s := p.spec(tok[i : i+1])
		if s == nil {
			return p.unknown(tok)
		}
		if err := p.option(s); err != nil {
			return err
		}
		if p.current != nil && len(tok) != i+1 {
			p.addValue(stripQuotes(tok[i+1:]))
			break
		}
	}
	return nil
}

func (p *optParser) checkRequiredArgs() error {
	if p.current != nil && p.current.hasArg && p.nvals == 0 {
		return &parseError{"MissingArgumentException", "Missing argument for option: " + p.current.name}
	}
	return nil
}

func (p *optParser) option(s *optSpec) error {
	if err := p.checkRequiredArgs(); err != nil {
		return err
	}
	for _, g := range p.group {
		if g != s.name {
			continue
		}
		if p.selected != "" && p.selected != s.name {
			return &parseError{"AlreadySelectedException", fmt.Sprintf(
				"The option '%s' was specified but an option from this group has already been selected: '%s'", s.name, p.selected)}
		}
		p.selected = s.name
	}
	if _, ok := p.cl.opts[s.name]; !ok {
		p.cl.opts[s.name] = nil
	}
	p.cl.seen = append(p.cl.seen, s.name)
	p.current, p.nvals = nil, 0
	if s.hasArg {
		p.current = s
	}
	return nil
}

func (p *optParser) addValue(v string) {
	p.cl.opts[p.current.name] = append(p.cl.opts[p.current.name], v)
	p.nvals++
}

// stripQuotes is commons-cli's Util.stripLeadingAndTrailingQuotes.
func stripQuotes(s string) string {
	if len(s) > 1 && s[0] == '"' && s[len(s)-1] == '"' && !strings.Contains(s[1:len(s)-1], `"`) {
		return s[1 : len(s)-1]
	}
	return s
}

// javaParseInt is Integer.parseInt; a failure is the NumberFormatException
// that ends zkCli.
func javaParseInt(s string) (int32, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, crash("java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", s))
	}
	return int32(v), nil
}

// javaDecodeInt is Integer.decode: an optional sign, then decimal, 0x/0X/#
// hex or 0-prefixed octal.
func javaDecodeInt(s string) (int, error) {
	if s == "" {
		return 0, crash("java.lang.NumberFormatException", "Zero length string")
	}
	i, neg := 0, false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	radix := 10
	switch {
	case strings.HasPrefix(s[i:], "0x"), strings.HasPrefix(s[i:], "0X"):
		radix, i = 16, i+2
	case strings.HasPrefix(s[i:], "#"):
		radix, i = 16, i+1
	case strings.HasPrefix(s[i:], "0") && len(s) > i+1:
		radix, i = 8, i+1
	}
	digits := s[i:]
	bad := func() error {
		msg := fmt.Sprintf("For input string: \"%s\"", digits)
		if radix != 10 {
			msg += fmt.Sprintf(" under radix %d", radix)
		}
		return crash("java.lang.NumberFormatException", msg)
	}
	if strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		return 0, crash("java.lang.NumberFormatException", "Sign character in wrong position")
	}
	v, err := strconv.ParseInt(digits, radix, 64)
	if err != nil {
		return 0, bad()
	}
	if neg {
		v = -v
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, bad()
	}
	return int(v), nil
}
