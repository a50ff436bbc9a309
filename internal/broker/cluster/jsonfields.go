package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// fields is one decoded JSON object, read member by member with the
// strictness of Kafka's kafka.utils.json decoders: a required member must be
// present and of the right type (null is not an int), numbers must be
// integers that fit.
type fields map[string]json.RawMessage

// parseObject decodes data as a JSON object.
func parseObject(what string, data []byte) (fields, error) {
	var f fields
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	if f == nil { // the JSON text "null"
		return nil, fmt.Errorf("%w: %s: not a JSON object", ErrMalformed, what)
	}
	return f, nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// present reports whether k is a member whose value is not null.
func (f fields) present(k string) bool {
	raw, ok := f[k]
	return ok && !isNull(raw)
}

func (f fields) require(k string) (json.RawMessage, error) {
	raw, ok := f[k]
	if !ok {
		return nil, fmt.Errorf("%w: member %q missing", ErrMalformed, k)
	}
	if isNull(raw) {
		return nil, fmt.Errorf("%w: member %q is null", ErrMalformed, k)
	}
	return raw, nil
}

func (f fields) int32(k string) (int32, error) {
	raw, err := f.require(k)
	if err != nil {
		return 0, err
	}
	return strictInt32(k, raw)
}

func (f fields) string(k string) (string, error) {
	raw, err := f.require(k)
	if err != nil {
		return "", err
	}
	return strictString(k, raw)
}

func (f fields) int32s(k string) ([]int32, error) {
	raw, err := f.require(k)
	if err != nil {
		return nil, err
	}
	return strictInt32s(k, raw)
}

func (f fields) object(k string) (fields, error) {
	raw, err := f.require(k)
	if err != nil {
		return nil, err
	}
	var o fields
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("%w: member %q: %w", ErrMalformed, k, err)
	}
	return o, nil
}

func strictInt32(k string, raw json.RawMessage) (int32, error) {
	if isNull(raw) {
		return 0, fmt.Errorf("%w: member %q is null", ErrMalformed, k)
	}
	var v int32
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("%w: member %q: %w", ErrMalformed, k, err)
	}
	return v, nil
}

func strictString(k string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", fmt.Errorf("%w: member %q is null", ErrMalformed, k)
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%w: member %q: %w", ErrMalformed, k, err)
	}
	return v, nil
}

func strictInt32s(k string, raw json.RawMessage) ([]int32, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("%w: member %q is null", ErrMalformed, k)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%w: member %q: %w", ErrMalformed, k, err)
	}
	out := make([]int32, len(elems))
	for i, e := range elems {
		v, err := strictInt32(k, e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// strictLongString decodes a JSON string holding a decimal long, as Kafka
// writes timestamps and producer id bounds.
func strictLongString(k string, raw json.RawMessage) (int64, error) {
	s, err := strictString(k, raw)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: member %q: %w", ErrMalformed, k, err)
	}
	return v, nil
}
