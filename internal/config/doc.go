// Package config parses, defaults and validates the configuration files of
// zkafka: the keeper's zoo.cfg and myid, and the java.util.Properties text
// format they (and the broker's server.properties) are written in.
//
// # Properties text
//
// ParseProperties reads java.util.Properties.load syntax; see its doc.
// Properties keeps keys in file order with the line each came from, so that
// errors can name it.
//
//	# comment                 ! also a comment
//	key=value                 key: value          key value
//	long.key = first part \
//	           second part    (one logical line: "first part second part")
//	path = C:\\data           (escapes: \t \n \r \f \\ \= \: \  \uXXXX)
//
// # zoo.cfg
//
// LoadKeeper and ParseKeeper read the ZooKeeper 3.9 server configuration
// into a Keeper. Every key ZooKeeper's QuorumPeerConfig reads is understood,
// with ZooKeeper's defaults; ZooKeeper passes every other key on as the Java
// system property "zookeeper."+key, and the keys among those that zkafka
// honours (snapCount, 4lw.commands.whitelist, admin.*, ...) are read too.
// Values are trimmed as ZooKeeper trims them. A bad value is an error naming
// the file, key and line: every value ZooKeeper rejects, and also values it
// would silently replace by a default (a non-numeric snapCount, a boolean
// other than true/false). An unknown key is a warning; keys ZooKeeper
// documents but zkafka does not use, and keys written with a "zookeeper."
// prefix, are kept in Keeper.Other without one.
// Membership is given by server.N lines (or by the file named by
// dynamicConfigFile):
//
//	server.<id>=<host>:<quorumPort>:<electionPort>[:participant|:observer][;[<clientHost>:]<clientPort>]
//	group.<gid>=<id>:<id>:...        weight.<id>=<weight>
//
// Hosts may be IPv6 literals in brackets, e.g. server.2=[::1]:2888:3888.
//
// # myid
//
// In a quorum, dataDir/myid names this server. ReadMyID reads it:
//
//	+---------------------------------------------+
//	| [whitespace] <decimal id >= 0> [whitespace] |   dataDir/myid
//	+---------------------------------------------+
//
// A missing file is ErrNoMyID, which a standalone server may ignore.
package config
