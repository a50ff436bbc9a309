// Package wire is the broker's Kafka-protocol network layer: it accepts TCP
// connections, frames and decodes requests, hands them to a Handler, and
// writes the responses back in request order. It knows nothing of what the
// broker does with a request; every request and response body is decoded and
// encoded with github.com/twmb/franz-go/pkg/kmsg.
//
// # Framing
//
// Every request and response is a size-prefixed frame (sizes big-endian):
//
//	request frame
//	┌──────────┬─────────┬────────────┬───────────────┬──────────────────┬────────────┬──────────┐
//	│ size     │ api key │ api version│ correlation id│ client id        │ tagged     │ body     │
//	│ int32    │ int16   │ int16      │ int32         │ nullable string  │ fields     │ (kmsg)   │
//	└──────────┴─────────┴────────────┴───────────────┴──────────────────┴────────────┴──────────┘
//	            └──── header v0 ──────────────────────┘ (ControlledShutdown v0 only)
//	            └──── header v1 ──────────────────────────────────────────┘
//	            └──── header v2 (flexible versions) ──────────────────────────────────┘
//
//	response frame
//	┌──────────┬───────────────┬───────────────┬──────────┐
//	│ size     │ correlation id│ tagged fields │ body     │
//	│ int32    │ int32         │ (v1 only)     │ (kmsg)   │
//	└──────────┴───────────────┴───────────────┴──────────┘
//	response header v1 is used for flexible versions, except for ApiVersions,
//	whose response header is always v0 (the client cannot yet know whether
//	the broker speaks flexible versions).
//
// The client id is a classic int16-length string even in header v2; a null
// client id is treated as the empty string, as Kafka does.
//
// # Kafka behaviour reproduced
//
//   - A frame whose size is negative or larger than Options.MaxRequestSize
//     (socket.request.max.bytes) closes that connection.
//   - A malformed header or body, an unknown api key, or a version of any api
//     other than ApiVersions outside the served range closes the connection
//     (Kafka throws InvalidRequestException or UnsupportedVersionException
//     while parsing, and its socket server closes the channel).
//   - An ApiVersions request with a version the broker does not serve is not
//     parsed; it is answered with a version 0 response body carrying
//     UNSUPPORTED_VERSION (35) and the served ApiVersions range (KIP-511), so
//     the client can retry with a version it finds there.
//   - Without SASL (the only mode this package offers unless
//     Options.HandleSASL is set), SaslHandshake and SaslAuthenticate are
//     answered with ILLEGAL_SASL_STATE (34), as Kafka answers them on a
//     listener without SASL.
//   - Kafka handles one request per connection at a time (the channel is
//     muted until the response is sent); that is the default here
//     (Options.MaxInFlightPerConn = 1). A larger value lets a connection's
//     requests be handled concurrently; their responses still go out in
//     request order.
//   - A connection with no traffic and nothing in flight for
//     Options.IdleTimeout (connections.max.idle.ms) is closed.
//
// # Buffers
//
// Request frames of 64 KiB and more are read into power-of-two buffers from a
// size-class pool (sync.Pools, so an idle server gives them back to the
// garbage collector): a Produce request's buffer returns to the pool when
// its handler returns, so a producer's next frame is read, in one read, into
// memory already touched. Fetch responses are encoded into a pooled buffer
// sized for their records, returned once written, and handlers read records
// into buffers from ResponseBuffer, returned once the response is encoded.
// Hence the Handler contract: a Produce request's bytes, and ResponseBuffer
// buffers, must not be kept past Handle.
//
// # Goroutines
//
// A Server owns an accept loop, and per connection one reader and one writer
// goroutine, plus one goroutine per request being handled. Close stops and
// waits for all of them.
package wire
