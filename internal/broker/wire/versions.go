package wire

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka error codes this package answers with itself.
const (
	// ErrCodeIllegalSASLState is ILLEGAL_SASL_STATE.
	ErrCodeIllegalSASLState int16 = 34
	// ErrCodeUnsupportedVersion is UNSUPPORTED_VERSION.
	ErrCodeUnsupportedVersion int16 = 35
	// ErrCodeInvalidRequest is INVALID_REQUEST.
	ErrCodeInvalidRequest int16 = 42
)

// Api keys this package treats specially.
const (
	keyProduce            int16 = 0
	keyControlledShutdown int16 = 7
	keySASLHandshake      int16 = 17
	keyApiVersions        int16 = 18
	keySASLAuthenticate   int16 = 36
)

// ErrInvalidVersions is returned by NewVersionTable (and New) for a version
// table that cannot be served.
var ErrInvalidVersions = errors.New("wire: invalid version table")

// VersionRange is the inclusive range of versions served for one api key.
type VersionRange struct {
	// Min is the oldest version served.
	Min int16
	// Max is the newest version served.
	Max int16
}

// VersionTable is the immutable set of api keys and versions a broker
// serves. It drives request acceptance and ApiVersions responses, so that
// ApiVersions lists exactly what the broker serves. A VersionTable is safe for
// concurrent use.
type VersionTable struct {
	ranges map[int16]VersionRange
	keys   []int16 // sorted
}

// NewVersionTable validates versions and returns a table of them. Every key
// must be one kmsg knows, with 0 <= Min <= Max <= the newest version kmsg can
// decode; ApiVersions (18) must be present, since clients cannot talk to a
// broker without it.
func NewVersionTable(versions map[int16]VersionRange) (*VersionTable, error) {
	t := &VersionTable{ranges: make(map[int16]VersionRange, len(versions))}
	for key, r := range versions {
		req := kmsg.RequestForKey(key)
		if req == nil {
			return nil, fmt.Errorf("%w: api key %d is unknown", ErrInvalidVersions, key)
		}
		if r.Min < 0 || r.Min > r.Max || r.Max > req.MaxVersion() {
			return nil, fmt.Errorf("%w: %s (key %d) range %d..%d (decodable 0..%d)",
				ErrInvalidVersions, kmsg.NameForKey(key), key, r.Min, r.Max, req.MaxVersion())
		}
		t.ranges[key] = r
		t.keys = append(t.keys, key)
	}
	if _, ok := t.ranges[keyApiVersions]; !ok {
		return nil, fmt.Errorf("%w: ApiVersions (key 18) must be served", ErrInvalidVersions)
	}
	slices.Sort(t.keys)
	return t, nil
}

// SupportedVersions returns the range served for apiKey, and whether it is
// served at all.
func (t *VersionTable) SupportedVersions(apiKey int16) (lo, hi int16, ok bool) {
	r, ok := t.ranges[apiKey]
	return r.Min, r.Max, ok
}

// Supports reports whether version of apiKey is served.
func (t *VersionTable) Supports(apiKey, version int16) bool {
	r, ok := t.ranges[apiKey]
	return ok && version >= r.Min && version <= r.Max
}

// Keys returns the served api keys in ascending order.
func (t *VersionTable) Keys() []int16 { return slices.Clone(t.keys) }

// apiKeys lists the table as ApiVersions entries, ascending by key.
func (t *VersionTable) apiKeys() []kmsg.ApiVersionsResponseApiKey {
	out := make([]kmsg.ApiVersionsResponseApiKey, 0, len(t.keys))
	for _, k := range t.keys {
		e := kmsg.NewApiVersionsResponseApiKey()
		e.ApiKey, e.MinVersion, e.MaxVersion = k, t.ranges[k].Min, t.ranges[k].Max
		out = append(out, e)
	}
	return out
}

// softwareNamePattern is the KIP-511 rule for ApiVersions v3+
// ClientSoftwareName and ClientSoftwareVersion.
var softwareNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

// ValidSoftwareInfo reports whether an ApiVersions request's client software
// name and version are acceptable (always true before v3), as Kafka checks
// them.
func ValidSoftwareInfo(req *kmsg.ApiVersionsRequest) bool {
	if req.Version < 3 {
		return true
	}
	return softwareNamePattern.MatchString(req.ClientSoftwareName) &&
		softwareNamePattern.MatchString(req.ClientSoftwareVersion)
}

// ApiVersionsResponse builds the answer to a served ApiVersions request, as
// Kafka does: INVALID_REQUEST (42) with no keys when a v3+ request carries an
// invalid client software name or version, otherwise every served api key
// and range. Supported and finalized features are left empty (finalized
// features epoch -1), as a ZooKeeper-mode broker without features answers.
func (t *VersionTable) ApiVersionsResponse(req *kmsg.ApiVersionsRequest, throttleMillis int32) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(req.Version)
	resp.ThrottleMillis = throttleMillis
	if !ValidSoftwareInfo(req) {
		resp.ErrorCode = ErrCodeInvalidRequest
		return resp
	}
	resp.ApiKeys = t.apiKeys()
	return resp
}

// unsupportedApiVersionsResponse is the version 0 answer to an ApiVersions
// request whose version is not served: UNSUPPORTED_VERSION plus the served
// ApiVersions range only (KIP-511), exactly what Kafka sends.
func (t *VersionTable) unsupportedApiVersionsResponse() *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	resp.ErrorCode = ErrCodeUnsupportedVersion
	r := t.ranges[keyApiVersions]
	e := kmsg.NewApiVersionsResponseApiKey()
	e.ApiKey, e.MinVersion, e.MaxVersion = keyApiVersions, r.Min, r.Max
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{e}
	return resp
}

// saslDisabledResponse answers SaslHandshake and SaslAuthenticate on a
// listener without SASL, as Kafka does: ILLEGAL_SASL_STATE, no mechanisms.
func saslDisabledResponse(req kmsg.Request) kmsg.Response {
	switch r := req.(type) {
	case *kmsg.SASLHandshakeRequest:
		resp := kmsg.NewPtrSASLHandshakeResponse()
		resp.SetVersion(r.Version)
		resp.ErrorCode = ErrCodeIllegalSASLState
		return resp
	case *kmsg.SASLAuthenticateRequest:
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		resp.SetVersion(r.Version)
		resp.ErrorCode = ErrCodeIllegalSASLState
		msg := "SaslAuthenticate request received after successful authentication"
		resp.ErrorMessage = &msg
		return resp
	}
	return nil
}
