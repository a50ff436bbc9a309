// Package cluster keeps a broker's cluster state in ZooKeeper in Apache
// Kafka's own z-node layout (kafka.zk.ZkData, Kafka 3.x in ZooKeeper
// mode), so `ls /brokers/ids` in any ZooKeeper CLI lists the live brokers
// and Kafka's own tools can read what zkafka writes.
//
// zkdata.go holds the pure encoders and decoders of every z-node; the
// Registry (registry.go) is a broker's session: registration, controller
// election, topic state and watches. All paths below are relative to the
// chroot of zookeeper.connect ("h1:2181,h2:2181/kafka" puts them under
// /kafka).
//
//	/
//	├── cluster/id                      {"version":"1","id":"<base64 uuid>"}
//	├── controller                      ephemeral {"version":2,"brokerid":1,"timestamp":"<ms>","kraftControllerEpoch":-1}
//	├── controller_epoch                "<epoch>" (decimal text; 0 at creation, +1 per election)
//	├── brokers
//	│   ├── ids/<id>                    ephemeral, version 5:
//	│   │                               {"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},
//	│   │                                "endpoints":["PLAINTEXT://host:9092"],"rack":"r1","jmx_port":-1,
//	│   │                                "port":9092,"host":"host","version":5,"timestamp":"<ms>"}
//	│   ├── topics/<topic>              {"partitions":{"0":[1,2]},"topic_id":"<uuid>","adding_replicas":{},
//	│   │   │                            "removing_replicas":{},"version":3}
//	│   │   └── partitions/<p>/state    {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}
//	│   │                               (+ "leader_recovery_state":1 while recovering)
//	│   └── seqid                       empty; its data version numbers generated broker ids
//	├── config
//	│   ├── topics/<topic>              {"version":1,"config":{"retention.ms":"1000"}}
//	│   ├── clients, users, brokers, ips
//	│   └── changes/config_change_<seq> {"version":2,"entity_path":"topics/<topic>"}
//	├── admin/delete_topics/<topic>     no data: the topic is to be deleted by the controller
//	├── isr_change_notification/isr_change_<seq>
//	│                                   {"version":1,"partitions":[{"topic":"t","partition":0}]}
//	├── log_dir_event_notification/log_dir_event_<seq>
//	│                                   {"version":1,"broker":1,"event":1}
//	├── latest_producer_id_block        {"version":1,"broker":0,"block_start":"0","block_end":"999"}
//	├── feature                         {"features":{},"version":2,"status":1}
//	└── consumers                       (old consumers; created empty)
//
// The JSON members come in the order Kafka's Scala 2.13 build writes them
// (see jsonorder.go); Kafka's readers do not depend on the order.
//
// The Registry follows KafkaZkClient and KafkaController: at Connect it
// creates the chroot and the persistent paths, gets or creates the cluster
// id, and registers the broker with an ephemeral node (create + setData in
// one multi, so the node's data version is 1 as in Kafka). A goroutine owned
// by the Registry then runs the controller election (ephemeral /controller
// created together with a conditional bump of /controller_epoch) and, when
// the session expires, resigns, registers the broker again on the new
// session and re-elects. Controller writes are fenced by a version check
// on /controller_epoch. Close deletes the registration, ends the session
// and waits for every goroutine.
package cluster
