// Package kafkacli holds zkafka's versions of Kafka's command-line tools:
// `zkafka topics` (kafka-topics.sh), `zkafka produce`
// (kafka-console-producer.sh) and `zkafka consume`
// (kafka-console-consumer.sh). They take the same flags (in their `--`
// forms), print the same output and exit with the same status as the
// Kafka 3.9 tools do against a ZooKeeper-mode broker, so scripts written
// for those tools keep working. They speak the Kafka protocol (through
// franz-go) to any Kafka-compatible broker, zkafka's or Apache Kafka's.
//
// Each command returns an error carrying its exit status (ExitCode) after
// it has printed everything itself; cmd/zkafka exits with that status.
package kafkacli
