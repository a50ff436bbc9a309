// Package plog (directory internal/broker/log) stores Kafka partition logs
// on disk, in Kafka's own layout and formats, so that a log dir written by
// this broker and one written by Apache Kafka 3.x (ZooKeeper mode) can be
// read by either.
//
// A Log is one partition: a directory of segments. It validates produce
// record sets the way Kafka's broker does, assigns offsets, serves fetches
// by copying stored batch bytes (never decoding them), answers ListOffsets
// by time and OffsetForLeaderEpoch, applies retention and DeleteRecords,
// truncates for followers and recovers from crashes. A Manager owns the
// logs of log.dirs.
//
// # Layout
//
//	<log.dir>/
//	  meta.properties                    broker.id, cluster.id, version=0
//	  .lock                              flock held by the running broker
//	  .kafka_cleanshutdown               present only after a clean shutdown
//	  recovery-point-offset-checkpoint   per partition: all below is fsynced
//	  log-start-offset-checkpoint        per partition: DeleteRecords' start
//	  replication-offset-checkpoint      per partition: high watermark (replica layer)
//	  my-topic-0/                        a partition: <topic>-<partition>
//	    00000000000000000000.log         segment: batches from offset 0
//	    00000000000000000000.index       its sparse offset index
//	    00000000000000000000.timeindex   its time index
//	    00000000000000368769.log         next segment, base offset 368769
//	    00000000000000368769.index
//	    00000000000000368769.timeindex
//	    leader-epoch-checkpoint          first offset of each leader epoch
//	    partition.metadata               topic ID
//	  my-topic-1.3f2a…9c-delete/         a partition being deleted
//
// Segment files are named by their base offset (the first offset they may
// hold) as 20 zero-padded decimal digits. A removed segment's files are
// renamed to *.deleted first and unlinked when no reader uses them;
// leftovers, *.tmp files and indexes without a .log are removed at open.
//
// # Record batch (magic 2), as stored in .log files
//
// A .log file is a sequence of record batches, each exactly as the
// producer sent it except for the fields the broker owns. All integers are
// big-endian.
//
//	offset size field
//	     0    8 baseOffset            ← assigned by the broker
//	     8    4 batchLength           bytes after this field
//	    12    4 partitionLeaderEpoch  ← set by the broker
//	    16    1 magic = 2
//	    17    4 crc                   CRC-32C (Castagnoli) of bytes 21..end
//	    21    2 attributes            bits 0-2 codec (0 none, 1 gzip, 2 snappy
//	                                  [xerial framing], 3 lz4 [frame], 4 zstd),
//	                                  bit 3 timestampType (1 = LogAppendTime),
//	                                  bit 4 transactional, bit 5 control
//	    23    4 lastOffsetDelta
//	    27    8 baseTimestamp
//	    35    8 maxTimestamp          ← LogAppendTime: the append time
//	    43    8 producerId
//	    51    2 producerEpoch
//	    53    4 baseSequence
//	    57    4 recordsCount
//	    61    … records               compressed as a whole when codec != 0
//
//	record: length varint | attributes int8 | timestampDelta varlong |
//	        offsetDelta varint | keyLength varint | key | valueLength varint |
//	        value | headerCount varint | (keyLength varint | key |
//	        valueLength varint | value)…     (varints are zigzag; -1 = null)
//
// baseOffset and partitionLeaderEpoch lie outside the CRC, so assigning
// them keeps the producer's CRC valid. Setting LogAppendTime changes the
// attributes and maxTimestamp, which the CRC covers, so then (and when a
// producer's maxTimestamp is not its records' largest timestamp, which
// Kafka corrects too) the CRC is recomputed.
//
// # Indexes
//
//	.index      entries of 8 bytes:  relativeOffset int32 | position int32
//	.timeindex  entries of 12 bytes: timestamp int64 | relativeOffset int32
//
// relativeOffset is an offset minus the segment's base offset; position a
// byte position in the .log. Both are sparse: when more than
// index.interval.bytes (4096) were appended since the last entry, the next
// batch adds an offset index entry (its last offset, its position) and a
// time index entry (the largest timestamp so far and the last offset of
// its batch) if that timestamp grew. A lookup takes the last entry at or
// below the target and scans batch headers from there. When a segment is
// sealed its time index ends with the segment's largest timestamp, which
// time-based retention compares. The active segment's indexes live in
// memory and are written when it is sealed or the log closed; after a
// crash they are rebuilt from the .log.
//
// # Checkpoint files
//
//	recovery-point-offset-checkpoint,    leader-epoch-checkpoint:
//	log-start-offset-checkpoint,
//	replication-offset-checkpoint:
//	  0                  version             0          version
//	  2                  entries             2          entries
//	  my-topic 0 1234    topic part offset   0 0        epoch startOffset
//	  my-topic 1 99                          3 1520
//
//	partition.metadata:                  meta.properties:
//	  version: 0                           #
//	  topic_id: <22-char base64url>        #<date>
//	                                       cluster.id=<id>
//	                                       version=0
//	                                       broker.id=<id>
//
// Every checkpoint is replaced atomically: written to <name>.tmp,
// fsynced, renamed, directory fsynced.
//
// # Durability and recovery
//
// Appends go to the page cache; flush.messages, flush.ms and Close fsync
// them, and every segment roll fsyncs the sealed segment and its indexes
// before the next segment is created, so damage can only be at the end of
// the last segment. The recovery point (offset below which everything is
// fsynced) is kept in recovery-point-offset-checkpoint. At open after an
// unclean shutdown every segment from the one holding the recovery point
// is scanned (framing, magic, CRC-32C, increasing offsets) and its indexes
// rebuilt: damage at the end of the last segment with no valid batch after
// it is a torn write, truncated with a warning; anything else is an error
// wrapping ErrCorruptLog naming the file and byte position. Data is never
// dropped silently from the middle of a log.
package plog
