package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster for tests: {@code masters * (1 + replicasPerMaster)} {@link RedisServerProcess}es
 * with {@code cluster-enabled yes}, each on an ephemeral port of 127.0.0.1 with its own temporary directory
 * (holding its {@code nodes.conf}); all of it killed and deleted by {@link #close()}.
 *
 * <p>The cluster is formed without {@code redis-cli}, the way {@code redis-cli --cluster create} does it:
 * the 16384 slots are split evenly over the masters ({@code CLUSTER ADDSLOTS}, which Redis 6.2 and 7 both
 * know), each master gets its own config epoch, every node is {@code CLUSTER MEET}-ed to the first one,
 * replicas are attached with {@code CLUSTER REPLICATE}, and {@link #awaitStable()} waits until every node
 * agrees.
 *
 * <pre>{@code
 * try (RedisClusterProcess cluster = RedisClusterProcess.builder().replicasPerMaster(1).start()) {
 *     String uri = cluster.seedUris();              // redis://127.0.0.1:p1,redis://127.0.0.1:p2,...
 *     cluster.set("k", "v");                        // follows MOVED/ASK itself
 *     cluster.migrateHalfOfSlots(cluster.masters().get(0), cluster.masters().get(1));
 *     Node old = cluster.nodeForKey("k");
 *     cluster.killMaster(old);
 *     Node promoted = cluster.awaitFailover(old);
 *     assertThat(cluster.getString("k")).isEqualTo("v");
 * }
 * }</pre>
 *
 * <p>Redis puts the cluster bus on {@code port + 10000}, so node ports are chosen at most 55535 with both
 * ports free. Thread-safe enough for one test thread plus writers using {@link #set} / {@link #get}
 * concurrently with {@link #migrateSlots}; topology changes (kill, restart, migrate) are meant for one thread.
 */
public final class RedisClusterProcess implements AutoCloseable {

    /** The number of hash slots of every Redis Cluster. */
    public static final int SLOTS = 16384;

    private static final Logger log = LoggerFactory.getLogger(RedisClusterProcess.class);

    private static final String HOST = "127.0.0.1";
    private static final int BUS_PORT_OFFSET = 10000;
    private static final int MAX_DATA_PORT = 65535 - BUS_PORT_OFFSET;
    private static final int NODE_START_ATTEMPTS = 5;
    private static final int ADDSLOTS_CHUNK = 1000;
    private static final int MIGRATE_BATCH = 200;
    private static final int MIGRATE_TIMEOUT_MS = 5000;
    private static final int MIGRATE_ATTEMPTS = 3;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REDIRECT_DEADLINE = Duration.ofSeconds(20);
    private static final long POLL_MILLIS = 50;


    /** A node's role as the node itself reports it ({@code INFO replication}); DOWN when its process is not running. */
    public enum Role {
        MASTER,
        REPLICA,
        DOWN
    }

    /** The outcome of {@link #migrateSlots} / {@link #migrateHalfOfSlots}. */
    public record Migration(Node source, Node target, List<Integer> slots, long keysMoved, Duration duration) {
    }

    /** Who served what at one moment: slot -> master node id, and replica node id -> its master's id. */
    private record Topology(String[] owners, Map<String, String> masterOf) {

        List<Integer> slotsOf(String nodeId) {
            List<Integer> slots = new ArrayList<>();
            for (int slot = 0; slot < SLOTS; slot++) {
                if (nodeId.equals(owners[slot])) {
                    slots.add(slot);
                }
            }
            return slots;
        }

        List<String> replicasOf(String masterId) {
            return masterOf.entrySet().stream()
                    .filter(e -> masterId.equals(e.getValue()))
                    .map(Map.Entry::getKey)
                    .sorted()
                    .toList();
        }
    }

    /** One line of {@code CLUSTER NODES}. */
    private record NodeEntry(String id, int port, Set<String> flags, String masterId, List<int[]> slotRanges,
                             boolean migrationInProgress) {

        boolean isMaster() {
            return flags.contains("master");
        }

        boolean isFailing() {
            return flags.contains("fail") || flags.contains("fail?");
        }

        String roleText() {
            return isMaster() ? "master" : "replica of " + masterId;
        }
    }

    /** One redis-server of the cluster. Identity is the process: it keeps its port and node id across restarts. */
    public final class Node {
        private final int index;
        private final RedisServerProcess server;
        private final String nodeId;

        private Node(int index, RedisServerProcess server, String nodeId) {
            this.index = index;
            this.server = server;
            this.nodeId = nodeId;
        }

        /** The position in {@link #nodes()}: masters first (as created), then replicas. */
        public int index() {
            return index;
        }

        public String host() {
            return HOST;
        }

        public int port() {
            return server.port();
        }

        /** The 40-character cluster node id ({@code CLUSTER MYID}); kept in nodes.conf across restarts. */
        public String nodeId() {
            return nodeId;
        }

        /** {@code redis://127.0.0.1:port}, without credentials. */
        public String uri() {
            return server.uri();
        }

        public RedisServerProcess server() {
            return server;
        }

        public boolean isRunning() {
            return server.isRunning();
        }

        /** The role this node reports now (a round trip), or DOWN when its process is not running. */
        public Role role() {
            if (!isRunning()) {
                return Role.DOWN;
            }
            String role = withConnection(this, c -> c.infoMap("replication").get("role"));
            return "master".equals(role) ? Role.MASTER : Role.REPLICA;
        }

        /** For a replica, the master it replicates, from its own {@code CLUSTER NODES} line; empty for a master. */
        public Optional<Node> master() {
            NodeEntry self = selfEntry(this);
            return self.isMaster() ? Optional.empty() : Optional.of(nodeById(self.masterId()));
        }

        /** The slots this node serves in the cluster's current view (ascending). */
        public List<Integer> slots() {
            return slotsOf(this);
        }

        /** A new client to this node, authenticated when the cluster has a password; the caller closes it. */
        public RespClient client() {
            return server.client();
        }

        @Override
        public String toString() {
            return "node#" + index + "[" + HOST + ":" + server.port() + ", " + nodeId.substring(0, 8) + "]";
        }
    }

    private final RedisServerProcess.BinarySource binarySource;
    private final Path binaryPath;
    private final int masterCount;
    private final int replicasPerMaster;
    private final Duration nodeTimeout;
    private final Duration awaitTimeout;
    private final Map<String, String> extraConfig;
    private final String password;

    private final List<Node> nodes = new ArrayList<>();
    private final Map<Node, RespClient> connections = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<Node> slotCache = new AtomicReferenceArray<>(SLOTS);
    private final Map<Node, Topology> topologyAtKill = new ConcurrentHashMap<>();
    private volatile Topology lastStableTopology;
    private volatile boolean closed;

    private RedisClusterProcess(Builder builder) {
        this.binarySource = builder.binarySource;
        this.binaryPath = builder.binaryPath;
        this.masterCount = builder.masters;
        this.replicasPerMaster = builder.replicasPerMaster;
        this.nodeTimeout = builder.nodeTimeout;
        this.awaitTimeout = builder.awaitTimeout;
        this.extraConfig = Collections.unmodifiableMap(new LinkedHashMap<>(builder.config));
        this.password = builder.password;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- forming the cluster -------------------------------------------------------------------

    private void form() {
        long startNanos = System.nanoTime();
        int total = masterCount * (1 + replicasPerMaster);
        for (int i = 0; i < total; i++) {
            RedisServerProcess server = startServer();
            String id;
            try (RespClient client = server.client()) {
                id = new String((byte[]) client.command("CLUSTER", "MYID"), StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            nodes.add(new Node(i, server, id));
        }
        for (int m = 0; m < masterCount; m++) {
            Node master = nodes.get(m);
            // distinct epochs up front, as redis-cli does: no epoch collisions to resolve after the MEET
            call(master, "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(m + 1));
            int first = m * SLOTS / masterCount;
            int last = (m + 1) * SLOTS / masterCount - 1;
            for (int chunk = first; chunk <= last; chunk += ADDSLOTS_CHUNK) {
                List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
                for (int slot = chunk; slot <= Math.min(last, chunk + ADDSLOTS_CHUNK - 1); slot++) {
                    args.add(Integer.toString(slot));
                }
                call(master, args.toArray(String[]::new));
            }
        }
        Node first = nodes.get(0);
        for (Node node : nodes.subList(1, nodes.size())) {
            call(node, "CLUSTER", "MEET", HOST, Integer.toString(first.port()));
        }
        awaitCondition("every node knows every other node", this::unmetNodes);
        for (int m = 0; m < masterCount; m++) {
            for (int r = 0; r < replicasPerMaster; r++) {
                Node replica = nodes.get(masterCount + m * replicasPerMaster + r);
                call(replica, "CLUSTER", "REPLICATE", nodes.get(m).nodeId());
            }
        }
        awaitStable();
        log.info("Redis Cluster of {} masters + {} replicas (redis {}) formed in {} ms: {}", masterCount,
                masterCount * replicasPerMaster, first.server().versionString(),
                (System.nanoTime() - startNanos) / 1_000_000, seedUris());
    }

    private RedisServerProcess startServer() {
        for (int attempt = 1; ; attempt++) {
            RedisServerProcess.Builder builder = RedisServerProcess.builder()
                    .port(freeClusterPort())
                    .config("cluster-enabled", "yes")
                    .config("cluster-config-file", "nodes.conf")
                    .config("cluster-node-timeout", Long.toString(nodeTimeout.toMillis()))
                    // Redis 7 syncs replicas diskless by default, after waiting 5 s for more replicas to come
                    .config("repl-diskless-sync-delay", "0");
            if (binaryPath != null) {
                builder.binaryPath(binaryPath);
            } else if (binarySource != null) {
                builder.binary(binarySource);
            }
            if (password != null) {
                builder.password(password).config("masterauth", quote(password));
            }
            extraConfig.forEach(builder::config);
            try {
                return builder.start();
            } catch (IllegalStateException e) {
                // the data port or the bus port (port + 10000) got taken between the check and the start
                boolean portTaken = String.valueOf(e.getMessage()).contains("in use");
                if (!portTaken || attempt == NODE_START_ATTEMPTS) {
                    throw e;
                }
                log.debug("cluster node port taken, retrying ({}/{})", attempt, NODE_START_ATTEMPTS);
            }
        }
    }

    /** A port p with p and p + 10000 both free, p <= 55535. */
    private static int freeClusterPort() {
        for (int attempt = 0; attempt < 500; attempt++) {
            // ephemeral ports first, then a random pick when the ephemeral range is all above 55535
            int port = attempt < 100 ? ephemeralPort() : ThreadLocalRandom.current().nextInt(15000, MAX_DATA_PORT + 1);
            if (port > 0 && port <= MAX_DATA_PORT && port != 6379 && isFree(port) && isFree(port + BUS_PORT_OFFSET)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port p with p + " + BUS_PORT_OFFSET + " free as well");
    }

    private static int ephemeralPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(HOST, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Null when every node knows all the others (no handshake left), else what is missing. */
    private String unmetNodes() {
        Set<String> ids = nodeIds();
        for (Node node : nodes) {
            List<NodeEntry> entries = clusterNodes(node);
            Set<String> known = entries.stream().map(NodeEntry::id).collect(Collectors.toSet());
            if (!known.equals(ids)) {
                return node + " knows " + known.size() + " of " + ids.size() + " nodes";
            }
            for (NodeEntry entry : entries) {
                if (entry.flags().contains("handshake") || entry.flags().contains("noaddr")) {
                    return node + " is still in handshake with " + entry.id();
                }
            }
        }
        return null;
    }

    // ---- accessors -----------------------------------------------------------------------------

    /** All nodes, running or not, in creation order: masters first, then replicas (master 0's first). */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(int index) {
        return nodes.get(index);
    }

    /** The running nodes that report {@code role:master} now (a round trip per node), in index order. */
    public List<Node> masters() {
        return nodesWithRole(Role.MASTER);
    }

    /** The running nodes that report {@code role:slave} now, in index order. */
    public List<Node> replicas() {
        return nodesWithRole(Role.REPLICA);
    }

    /** The running replicas of {@code master} (each replica's own view), in index order. */
    public List<Node> replicasOf(Node master) {
        return replicas().stream()
                .filter(replica -> replica.master().filter(m -> m == master).isPresent())
                .toList();
    }

    private List<Node> nodesWithRole(Role role) {
        return nodes.stream().filter(n -> n.role() == role).toList();
    }

    /** Seed URIs of every node, comma-separated, without credentials: {@code redis://127.0.0.1:p1,redis://...}. */
    public String seedUris() {
        return nodes.stream().map(Node::uri).collect(Collectors.joining(","));
    }

    /** The URI of the first running node (a single seed). */
    public String seedUri() {
        return anyRunningNode().uri();
    }

    /** The password of every node ({@code requirepass} and {@code masterauth}), or null. */
    public String password() {
        return password;
    }

    /** The version the nodes' binary reports, e.g. {@code 7.0.15}. */
    public String versionString() {
        return nodes.get(0).server().versionString();
    }

    public Duration nodeTimeout() {
        return nodeTimeout;
    }

    // ---- slots -----------------------------------------------------------------------------------

    /** The hash slot of a key: CRC16-XMODEM of the key, or of its {hash tag} when it has a non-empty one, mod 16384. */
    public static int slotOf(String key) {
        return slotOf(key.getBytes(StandardCharsets.UTF_8));
    }

    public static int slotOf(byte[] key) {
        return io.redcompress.connect.layout.RedisSlot.of(key);
    }

    /** The master serving the key's slot now, per {@code CLUSTER SLOTS} of a running node. */
    public Node nodeForKey(String key) {
        return nodeForSlot(slotOf(key));
    }

    /** The master serving {@code slot} now, per {@code CLUSTER SLOTS} of a running node. */
    public Node nodeForSlot(int slot) {
        checkSlot(slot);
        Node[] owners = clusterSlots(anyRunningNode());
        Node owner = owners[slot];
        if (owner == null) {
            throw new IllegalStateException("slot " + slot + " is not served by any node");
        }
        return owner;
    }

    private List<Integer> slotsOf(Node node) {
        Node[] owners = clusterSlots(anyRunningNode());
        List<Integer> slots = new ArrayList<>();
        for (int slot = 0; slot < SLOTS; slot++) {
            if (owners[slot] == node) {
                slots.add(slot);
            }
        }
        return slots;
    }

    // ---- cluster-aware commands ------------------------------------------------------------------

    /** {@code GET key} on the node serving it, following MOVED/ASK redirects; null when the key does not exist. */
    public byte[] get(String key) {
        return (byte[]) commandForKey(key, "GET", key);
    }

    public String getString(String key) {
        byte[] value = get(key);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** {@code SET key value} on the node serving it, following MOVED/ASK redirects. */
    public void set(String key, byte[] value) {
        byte[] rawKey = key.getBytes(StandardCharsets.UTF_8);
        commandForKey(rawKey, bytes("SET"), rawKey, value);
    }

    public void set(String key, String value) {
        commandForKey(key, "SET", key, value);
    }

    /** Sends a command to the master serving {@code key}'s slot, following MOVED/ASK redirects. */
    public Object commandForKey(String key, String... args) {
        byte[][] raw = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            raw[i] = bytes(args[i]);
        }
        return commandForKey(bytes(key), raw);
    }

    /**
     * Sends a command to the master serving {@code key}'s slot, like a cluster client: MOVED updates the
     * slot cache and retries there, ASK retries once on the importing node after {@code ASKING}, and
     * TRYAGAIN / CLUSTERDOWN / a dead node (during a failover) are retried until a deadline of 20 s.
     */
    public Object commandForKey(byte[] key, byte[]... args) {
        int slot = slotOf(key);
        long deadline = System.nanoTime() + REDIRECT_DEADLINE.toNanos();
        Node node = cachedOwner(slot);
        boolean asking = false;
        int redirects = 0;
        RuntimeException lastProblem;
        while (true) {
            Node target = node;
            boolean ask = asking;
            try {
                return withConnection(target, c -> {
                    if (!ask) {
                        return c.command(args);
                    }
                    synchronized (c) { // ASKING applies to the very next command on this connection
                        c.command("ASKING");
                        return c.command(args);
                    }
                });
            } catch (RedisErrorReply e) {
                lastProblem = e;
                asking = false;
                switch (e.code()) {
                    case "MOVED" -> {
                        node = redirectTarget(e);
                        slotCache.set(slot, node);
                        redirects++;
                    }
                    case "ASK" -> {
                        node = redirectTarget(e);
                        asking = true;
                        redirects++;
                    }
                    case "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN" -> {
                        sleep(POLL_MILLIS);
                        node = refreshSlotCache(slot);
                    }
                    default -> throw e;
                }
            } catch (UncheckedIOException e) {
                // the node is down (killed, restarting, failing over): ask the cluster again
                lastProblem = e;
                asking = false;
                sleep(POLL_MILLIS);
                node = refreshSlotCache(slot);
            }
            if (System.nanoTime() > deadline || redirects > 100) {
                throw new IllegalStateException("gave up on " + new String(args[0], StandardCharsets.UTF_8)
                        + " for slot " + slot + " after " + redirects + " redirects; last problem: "
                        + lastProblem, lastProblem);
            }
        }
    }

    private Node redirectTarget(RedisErrorReply redirect) {
        // "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"
        String[] parts = redirect.reply().split(" ");
        String address = parts[parts.length - 1];
        return nodeByPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
    }

    private Node cachedOwner(int slot) {
        Node owner = slotCache.get(slot);
        return owner != null ? owner : refreshSlotCache(slot);
    }

    /** Reloads the whole slot cache from a running node; returns the owner of {@code slot} (a guess when unknown). */
    private Node refreshSlotCache(int slot) {
        Node[] owners;
        try {
            owners = clusterSlots(anyRunningNode());
        } catch (RuntimeException e) {
            log.debug("cannot refresh the slot map: {}", e.toString());
            return anyRunningNode();
        }
        for (int s = 0; s < SLOTS; s++) {
            slotCache.set(s, owners[s]);
        }
        return owners[slot] != null ? owners[slot] : anyRunningNode();
    }

    /** All keys matching a glob pattern on every running master ({@code SCAN}), sorted, without duplicates. */
    public List<String> keys(String pattern) {
        return masters().stream()
                .flatMap(master -> withConnection(master, c -> c.keys(pattern)).stream())
                .distinct()
                .sorted()
                .toList();
    }

    /** The sum of {@code DBSIZE} over the running masters. */
    public long dbsize() {
        return keysPerMaster().values().stream().mapToLong(Long::longValue).sum();
    }

    /** {@code DBSIZE} of each running master, in index order. */
    public Map<Node, Long> keysPerMaster() {
        Map<Node, Long> counts = new LinkedHashMap<>();
        for (Node master : masters()) {
            counts.put(master, withConnection(master, RespClient::dbsize));
        }
        return counts;
    }

    /** {@code FLUSHALL} on every running master (replicas follow). */
    public void flushAll() {
        for (Node master : masters()) {
            withConnection(master, c -> c.command("FLUSHALL"));
        }
    }

    // ---- faults ----------------------------------------------------------------------------------

    /**
     * SIGKILLs a master (no shutdown, no final replication). Remembers which slots it served and which
     * replicas it had, for {@link #awaitFailover(Node)}.
     */
    public void killMaster(Node master) {
        if (master.role() != Role.MASTER) {
            throw new IllegalArgumentException(master + " is not a running master");
        }
        topologyAtKill.put(master, topology(master));
        kill(master);
    }

    /** SIGKILLs any node. */
    public void kill(Node node) {
        node.server().kill();
        dropConnection(node);
    }

    /**
     * Waits (bounded by the builder's await timeout) until a replica of the killed {@code oldMaster} has been
     * promoted: it reports {@code role:master}, serves all of the old master's slots, and every running node
     * reports {@code cluster_state:ok} with the same slot map. Returns the promoted node.
     *
     * @throws IllegalStateException when the old master had no replica, or no promotion happens in time
     */
    public Node awaitFailover(Node oldMaster) {
        long startNanos = System.nanoTime();
        Topology before = topologyAtKill.remove(oldMaster);
        if (before == null) {
            before = lastStableTopology;
        }
        if (before == null) {
            throw new IllegalStateException("no known topology from before " + oldMaster + " went down");
        }
        List<Integer> formerSlots = before.slotsOf(oldMaster.nodeId());
        List<Node> candidates = before.replicasOf(oldMaster.nodeId()).stream().map(this::nodeById).toList();
        if (candidates.isEmpty()) {
            throw new IllegalStateException(oldMaster + " had no replica: nothing can be promoted");
        }
        Node[] promoted = new Node[1];
        awaitCondition("a replica of " + oldMaster + " to be promoted", () -> {
            Node found = null;
            for (Node candidate : candidates) {
                if (candidate.isRunning() && candidate.role() == Role.MASTER) {
                    found = candidate;
                }
            }
            if (found == null) {
                return "none of " + candidates + " reports role:master yet";
            }
            String[] owners = topology(found).owners();
            for (int slot : formerSlots) {
                if (!found.nodeId().equals(owners[slot])) {
                    return found + " does not serve slot " + slot + " yet";
                }
            }
            promoted[0] = found;
            return instability();
        });
        log.info("{} failed over to {} in {} ms", oldMaster, promoted[0], (System.nanoTime() - startNanos) / 1_000_000);
        return promoted[0];
    }

    /**
     * Restarts a node on the same port with the same directory (so the same nodes.conf and node id): a
     * graceful stop first if it runs. Waits until the cluster is stable again; a master that was failed
     * over comes back as a replica of its successor. A master restarted before a failover comes back
     * with its slots but, without {@link Builder#appendOnly()}, with no data.
     */
    public Node restart(Node node) {
        dropConnection(node);
        node.server().restart();
        dropConnection(node);
        awaitStable();
        return node;
    }

    // ---- resharding ------------------------------------------------------------------------------

    /**
     * Moves the slots {@code fromSlot..toSlot} (inclusive, all served by {@code source}) to {@code target},
     * the way {@code redis-cli --cluster reshard} does, slot by slot: {@code SETSLOT IMPORTING} on the target,
     * {@code SETSLOT MIGRATING} on the source, {@code GETKEYSINSLOT} + {@code MIGRATE ... KEYS} until the slot
     * is empty, then {@code SETSLOT NODE target} on the target, the source and every other master. Clients
     * writing meanwhile get ASK/MOVED redirects. Waits until the cluster is stable again.
     */
    public Migration migrateSlots(int fromSlot, int toSlot, Node source, Node target) {
        checkSlot(fromSlot);
        checkSlot(toSlot);
        if (fromSlot > toSlot) {
            throw new IllegalArgumentException("fromSlot " + fromSlot + " > toSlot " + toSlot);
        }
        List<Integer> slots = new ArrayList<>();
        for (int slot = fromSlot; slot <= toSlot; slot++) {
            slots.add(slot);
        }
        return migrate(slots, source, target);
    }

    /** Moves the upper half of the slots {@code source} serves to {@code target} (see {@link #migrateSlots}). */
    public Migration migrateHalfOfSlots(Node source, Node target) {
        List<Integer> owned = topology(source).slotsOf(source.nodeId());
        if (owned.size() < 2) {
            throw new IllegalArgumentException(source + " serves " + owned.size() + " slots: nothing to halve");
        }
        return migrate(owned.subList(owned.size() / 2, owned.size()), source, target);
    }

    private Migration migrate(List<Integer> slots, Node source, Node target) {
        long startNanos = System.nanoTime();
        if (source == target) {
            throw new IllegalArgumentException("source and target are the same node: " + source);
        }
        if (source.role() != Role.MASTER || target.role() != Role.MASTER) {
            throw new IllegalArgumentException("source " + source + " and target " + target
                    + " must both be running masters");
        }
        String[] owners = topology(source).owners();
        for (int slot : slots) {
            if (!source.nodeId().equals(owners[slot])) {
                throw new IllegalArgumentException("slot " + slot + " is served by " + owners[slot] + ", not by " + source);
            }
        }
        List<Node> otherMasters = masters().stream().filter(m -> m != source && m != target).toList();
        long moved = 0;
        for (int slot : slots) {
            moved += migrateSlot(slot, source, target, otherMasters);
        }
        awaitStable();
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        log.info("migrated {} slots ({} keys) from {} to {} in {} ms", slots.size(), moved, source, target, took.toMillis());
        return new Migration(source, target, List.copyOf(slots), moved, took);
    }

    /**
     * Opens the migration of one slot from {@code source} to {@code target} and leaves it open: {@code SETSLOT
     * IMPORTING} on the target, {@code SETSLOT MIGRATING} on the source, no key moved. Until
     * {@link #completeSlotMigration} the source answers ASK for every key of the slot it does not hold, so a client's
     * write of a new key in that slot is executed by the target (after {@code ASKING}).
     */
    public void beginSlotMigration(int slot, Node source, Node target) {
        checkSlot(slot);
        String s = Integer.toString(slot);
        call(target, "CLUSTER", "SETSLOT", s, "IMPORTING", source.nodeId());
        call(source, "CLUSTER", "SETSLOT", s, "MIGRATING", target.nodeId());
    }

    /** Moves the keys of a slot opened by {@link #beginSlotMigration} to the target, assigns it there, and waits until stable. */
    public Migration completeSlotMigration(int slot, Node source, Node target) {
        long startNanos = System.nanoTime();
        List<Node> otherMasters = masters().stream().filter(m -> m != source && m != target).toList();
        long moved = moveKeysAndAssign(slot, source, target, otherMasters);
        awaitStable();
        return new Migration(source, target, List.of(slot), moved, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    /** The number of keys {@code node} itself holds in {@code slot} ({@code CLUSTER COUNTKEYSINSLOT}). */
    public long keysInSlot(Node node, int slot) {
        checkSlot(slot);
        return (Long) call(node, "CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot));
    }

    /**
     * Makes {@code replica} replicate {@code master} instead ({@code CLUSTER REPLICATE}), e.g. to leave a master
     * without a replica, and waits until the cluster is stable with the new roles.
     */
    public void replicate(Node replica, Node master) {
        call(replica, "CLUSTER", "REPLICATE", master.nodeId());
        awaitCondition(replica + " to replicate " + master, () -> {
            NodeEntry self = selfEntry(replica);
            return !self.isMaster() && master.nodeId().equals(self.masterId()) ? instability()
                    : replica + " is " + self.roleText();
        });
        awaitStable();
    }

    /**
     * A manual failover, as an operator does it: {@code CLUSTER FAILOVER} on {@code replica}, which takes over its
     * master's slots once it has caught up (no write is lost); the old master becomes its replica. Waits until the
     * cluster is stable and returns the old master.
     */
    public Node manualFailover(Node replica) {
        Node oldMaster = replica.master().orElseThrow(() -> new IllegalArgumentException(replica + " is not a replica"));
        call(replica, "CLUSTER", "FAILOVER");
        awaitCondition(replica + " to take over from " + oldMaster, () -> {
            if (replica.role() != Role.MASTER || oldMaster.role() != Role.REPLICA) {
                return replica + " is " + replica.role() + ", " + oldMaster + " is " + oldMaster.role();
            }
            return instability();
        });
        awaitStable();
        return oldMaster;
    }

    private long migrateSlot(int slot, Node source, Node target, List<Node> otherMasters) {
        beginSlotMigration(slot, source, target);
        return moveKeysAndAssign(slot, source, target, otherMasters);
    }

    private long moveKeysAndAssign(int slot, Node source, Node target, List<Node> otherMasters) {
        String s = Integer.toString(slot);
        long moved = 0;
        while (true) {
            List<?> keys = (List<?>) call(source, "CLUSTER", "GETKEYSINSLOT", s, Integer.toString(MIGRATE_BATCH));
            if (keys.isEmpty()) {
                break;
            }
            List<byte[]> args = new ArrayList<>(List.of(bytes("MIGRATE"), bytes(HOST), bytes(Integer.toString(target.port())),
                    new byte[0], bytes("0"), bytes(Integer.toString(MIGRATE_TIMEOUT_MS))));
            if (password != null) {
                args.add(bytes("AUTH"));
                args.add(bytes(password));
            }
            args.add(bytes("KEYS"));
            for (Object key : keys) {
                args.add((byte[]) key);
            }
            migrateBatch(source, slot, args.toArray(byte[][]::new));
            moved += keys.size();
        }
        // the target first, so that it accepts the slot before the source starts sending MOVED there
        call(target, "CLUSTER", "SETSLOT", s, "NODE", target.nodeId());
        call(source, "CLUSTER", "SETSLOT", s, "NODE", target.nodeId());
        for (Node other : otherMasters) {
            try {
                call(other, "CLUSTER", "SETSLOT", s, "NODE", target.nodeId());
            } catch (RedisErrorReply | UncheckedIOException e) {
                // gossip tells it anyway; redis-cli ignores these too
                log.debug("SETSLOT {} NODE on {} failed: {}", slot, other, e.toString());
            }
        }
        return moved;
    }

    private void migrateBatch(Node source, int slot, byte[][] migrate) {
        for (int attempt = 1; ; attempt++) {
            try {
                call(source, migrate);
                return;
            } catch (RedisErrorReply e) {
                if (!e.code().equals("IOERR") || attempt == MIGRATE_ATTEMPTS) {
                    throw new IllegalStateException("MIGRATE of slot " + slot + " from " + source + " failed: " + e.reply(), e);
                }
                log.debug("MIGRATE of slot {} failed ({}), retrying", slot, e.reply());
            }
        }
    }

    // ---- stability ---------------------------------------------------------------------------------

    /**
     * Waits (bounded by the builder's await timeout) until, on every running node: {@code cluster_state:ok},
     * all 16384 slots assigned, every node known and none in handshake, the same slot map and the same roles,
     * no running node seen as failing, no slot migration open, every slot served by a running master, and
     * every replica's link to its master up.
     *
     * @throws IllegalStateException with the last problem seen when that does not happen in time
     */
    public void awaitStable() {
        awaitCondition("the cluster to be stable", this::instability);
        lastStableTopology = topology(anyRunningNode());
        Node[] owners = clusterSlots(anyRunningNode());
        for (int slot = 0; slot < SLOTS; slot++) {
            slotCache.set(slot, owners[slot]);
        }
    }

    /** Null when the cluster is stable (see {@link #awaitStable()}), else the first problem found. */
    private String instability() {
        List<Node> running = nodes.stream().filter(Node::isRunning).toList();
        if (running.isEmpty()) {
            return "no node is running";
        }
        Set<String> allIds = nodeIds();
        String[] referenceOwners = null;
        Map<String, String> referenceRoles = null;
        Node reference = null;
        for (Node node : running) {
            Map<String, String> info = fields(new String((byte[]) call(node, "CLUSTER", "INFO"), StandardCharsets.UTF_8));
            if (!"ok".equals(info.get("cluster_state"))) {
                return node + " reports cluster_state:" + info.get("cluster_state");
            }
            if (!Integer.toString(SLOTS).equals(info.get("cluster_slots_assigned"))) {
                return node + " reports cluster_slots_assigned:" + info.get("cluster_slots_assigned");
            }
            List<NodeEntry> entries = clusterNodes(node);
            Map<String, NodeEntry> byId = new HashMap<>();
            entries.forEach(e -> byId.put(e.id(), e));
            if (!byId.keySet().equals(allIds)) {
                return node + " knows " + byId.keySet().size() + " nodes, not the " + allIds.size() + " of the cluster";
            }
            NodeEntry self = byId.get(node.nodeId());
            if (!self.flags().contains("myself")) {
                return node + " does not see itself as myself";
            }
            if (self.migrationInProgress()) {
                return node + " has a slot migration open";
            }
            Map<String, String> roles = new HashMap<>();
            for (Node other : running) {
                NodeEntry entry = byId.get(other.nodeId());
                if (entry.isFailing() || entry.flags().contains("handshake") || entry.flags().contains("noaddr")) {
                    return node + " sees " + other + " as " + entry.flags();
                }
                roles.put(other.nodeId(), entry.roleText());
            }
            String[] owners = owners(entries);
            for (int slot = 0; slot < SLOTS; slot++) {
                Node owner = owners[slot] == null ? null : nodeById(owners[slot]);
                if (owner == null || !owner.isRunning()) {
                    return node + " sees slot " + slot + " served by " + (owner == null ? "nobody" : owner + ", which is down");
                }
            }
            if (referenceOwners == null) {
                reference = node;
                referenceOwners = owners;
                referenceRoles = roles;
            } else {
                if (!Arrays.equals(referenceOwners, owners)) {
                    int slot = Arrays.mismatch(referenceOwners, owners);
                    return "slot " + slot + " is served by " + referenceOwners[slot] + " for " + reference
                            + " but by " + owners[slot] + " for " + node;
                }
                if (!referenceRoles.equals(roles)) {
                    return reference + " sees roles " + referenceRoles + " but " + node + " sees " + roles;
                }
            }
            if (!self.isMaster()) {
                Node master = nodeById(self.masterId());
                if (!master.isRunning()) {
                    return node + " replicates " + master + ", which is down";
                }
                Map<String, String> replication = withConnection(node, c -> c.infoMap("replication"));
                if (!"up".equals(replication.get("master_link_status"))
                        || !"0".equals(replication.get("master_sync_in_progress"))) {
                    return node + " has master_link_status:" + replication.get("master_link_status")
                            + ", master_sync_in_progress:" + replication.get("master_sync_in_progress");
                }
            }
        }
        return null;
    }

    private void awaitCondition(String what, Supplier<String> problem) {
        long deadline = System.nanoTime() + awaitTimeout.toNanos();
        String last;
        while (true) {
            try {
                last = problem.get();
            } catch (RedisErrorReply | UncheckedIOException e) {
                last = e.toString();
            }
            if (last == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + awaitTimeout + " waiting for " + what
                        + "; last problem: " + last + "\n" + logTails());
            }
            sleep(POLL_MILLIS);
        }
    }

    private String logTails() {
        StringBuilder tails = new StringBuilder();
        for (Node node : nodes) {
            tails.append("=== ").append(node).append(node.isRunning() ? "" : " (down)").append(" ===\n");
            String tail = node.server().logTail();
            String[] lines = tail.split("\n");
            // the last few lines each: enough to see elections and epochs
            for (int i = Math.max(0, lines.length - 12); i < lines.length; i++) {
                tails.append(lines[i]).append('\n');
            }
        }
        return tails.toString();
    }

    // ---- topology reading --------------------------------------------------------------------------

    private Topology topology(Node from) {
        List<NodeEntry> entries = clusterNodes(from);
        Map<String, String> masterOf = new HashMap<>();
        for (NodeEntry entry : entries) {
            if (!entry.isMaster()) {
                masterOf.put(entry.id(), entry.masterId());
            }
        }
        return new Topology(owners(entries), masterOf);
    }

    private static String[] owners(List<NodeEntry> entries) {
        String[] owners = new String[SLOTS];
        for (NodeEntry entry : entries) {
            if (entry.isMaster()) {
                for (int[] range : entry.slotRanges()) {
                    Arrays.fill(owners, range[0], range[1] + 1, entry.id());
                }
            }
        }
        return owners;
    }

    private NodeEntry selfEntry(Node node) {
        return clusterNodes(node).stream()
                .filter(e -> e.flags().contains("myself"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(node + " lists no myself line"));
    }

    private List<NodeEntry> clusterNodes(Node node) {
        String text = new String((byte[]) call(node, "CLUSTER", "NODES"), StandardCharsets.UTF_8);
        List<NodeEntry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                entries.add(parseNodeLine(line.trim()));
            }
        }
        return entries;
    }

    /**
     * {@code <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link> <slot>...};
     * Redis 7 may append {@code ,hostname} to the address. Migration markers look like {@code [42->-id]}.
     */
    private static NodeEntry parseNodeLine(String line) {
        String[] f = line.split(" ");
        String address = f[1];
        int at = address.indexOf('@');
        String hostPort = at >= 0 ? address.substring(0, at) : address;
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
        } catch (NumberFormatException e) {
            port = 0;
        }
        Set<String> flags = new HashSet<>(Arrays.asList(f[2].split(",")));
        List<int[]> ranges = new ArrayList<>();
        boolean migrating = false;
        for (int i = 8; i < f.length; i++) {
            String slot = f[i];
            if (slot.startsWith("[")) {
                migrating = true;
                continue;
            }
            int dash = slot.indexOf('-');
            ranges.add(dash < 0
                    ? new int[] {Integer.parseInt(slot), Integer.parseInt(slot)}
                    : new int[] {Integer.parseInt(slot.substring(0, dash)), Integer.parseInt(slot.substring(dash + 1))});
        }
        return new NodeEntry(f[0], port, flags, f[3], ranges, migrating);
    }

    /** {@code CLUSTER SLOTS} of {@code from}: slot -> serving master (null where unassigned). */
    private Node[] clusterSlots(Node from) {
        List<?> reply = (List<?>) call(from, "CLUSTER", "SLOTS");
        Node[] owners = new Node[SLOTS];
        for (Object item : reply) {
            List<?> range = (List<?>) item;
            int first = ((Long) range.get(0)).intValue();
            int last = ((Long) range.get(1)).intValue();
            List<?> master = (List<?>) range.get(2);
            Node owner = nodeByPort(((Long) master.get(1)).intValue());
            Arrays.fill(owners, first, last + 1, owner);
        }
        return owners;
    }

    private Node nodeByPort(int port) {
        for (Node node : nodes) {
            if (node.port() == port) {
                return node;
            }
        }
        throw new IllegalStateException("no node of this cluster listens on port " + port);
    }

    private Node nodeById(String nodeId) {
        for (Node node : nodes) {
            if (node.nodeId().equals(nodeId)) {
                return node;
            }
        }
        throw new IllegalStateException("no node of this cluster has id " + nodeId);
    }

    private Set<String> nodeIds() {
        return nodes.stream().map(Node::nodeId).collect(Collectors.toSet());
    }

    private Node anyRunningNode() {
        return nodes.stream()
                .filter(Node::isRunning)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of the cluster is running"));
    }

    private static void checkSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("not a slot: " + slot);
        }
    }

    // ---- connections -------------------------------------------------------------------------------

    private Object call(Node node, String... args) {
        return withConnection(node, c -> c.command(args));
    }

    private Object call(Node node, byte[]... args) {
        return withConnection(node, c -> c.command(args));
    }

    /** Runs {@code action} on the pooled connection to {@code node}; a broken connection is dropped from the pool. */
    private <T> T withConnection(Node node, Function<RespClient, T> action) {
        if (closed) {
            throw new IllegalStateException("closed: " + this);
        }
        RespClient client = connections.computeIfAbsent(node,
                n -> RespClient.connect(HOST, n.port(), password, CONNECT_TIMEOUT));
        try {
            return action.apply(client);
        } catch (UncheckedIOException e) {
            connections.remove(node, client);
            client.close();
            throw e;
        } catch (IllegalStateException e) {
            if (client.toString().endsWith(", closed]")) {
                // another thread saw this connection break first
                connections.remove(node, client);
                throw new UncheckedIOException(new IOException("connection to " + node + " is closed", e));
            }
            throw e;
        }
    }

    private void dropConnection(Node node) {
        RespClient client = connections.remove(node);
        if (client != null) {
            client.close();
        }
    }

    // ---- closing -----------------------------------------------------------------------------------

    /** Kills every node (SIGKILL: the data is thrown away anyway) and deletes their directories. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        connections.values().forEach(RespClient::close);
        connections.clear();
        for (Node node : nodes) {
            try {
                node.server().kill();
            } catch (RuntimeException e) {
                log.warn("cannot kill {}", node, e);
            } finally {
                node.server().close();
            }
        }
    }

    @Override
    public String toString() {
        return "RedisClusterProcess[" + masterCount + " masters x " + replicasPerMaster + " replicas, "
                + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.joining(",", "ports ", ""))
                + (closed ? ", closed" : "") + "]";
    }

    // ---- small utilities ---------------------------------------------------------------------------

    private static Map<String, String> fields(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---- builder -----------------------------------------------------------------------------------

    /** Options for a {@link RedisClusterProcess}; {@link #start()} forms it. */
    public static final class Builder {
        private RedisServerProcess.BinarySource binarySource;
        private Path binaryPath;
        private int masters = 3;
        private int replicasPerMaster;
        private Duration nodeTimeout = Duration.ofMillis(1000);
        private Duration awaitTimeout = Duration.ofSeconds(30);
        private final Map<String, String> config = new LinkedHashMap<>();
        private String password;

        private Builder() {
        }

        /** The number of masters (default 3; a failover needs a majority of masters alive, so at least 3). */
        public Builder masters(int masters) {
            if (masters < 1 || masters > SLOTS) {
                throw new IllegalArgumentException("masters must be 1.." + SLOTS + ": " + masters);
            }
            this.masters = masters;
            return this;
        }

        /** Replicas per master (default 0). */
        public Builder replicasPerMaster(int replicas) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicasPerMaster must be >= 0: " + replicas);
            }
            this.replicasPerMaster = replicas;
            return this;
        }

        /** {@code cluster-node-timeout} (default 1 s): a killed master is failed over a few node timeouts later. */
        public Builder nodeTimeout(Duration timeout) {
            this.nodeTimeout = timeout;
            return this;
        }

        /** How long forming, {@link #awaitStable()}, {@link #awaitFailover} etc. may wait (default 30 s). */
        public Builder awaitTimeout(Duration timeout) {
            this.awaitTimeout = timeout;
            return this;
        }

        /** A {@code redis.conf} directive for every node (see {@link RedisServerProcess.Builder#config}). */
        public Builder config(String name, String value) {
            config.put(name, value);
            return this;
        }

        /** AOF on, fsync on every write, on every node. */
        public Builder appendOnly() {
            config.put("appendonly", "yes");
            config.put("appendfsync", "always");
            return this;
        }

        /** {@code requirepass} and {@code masterauth} on every node; MIGRATE then sends {@code AUTH}. */
        public Builder password(String password) {
            this.password = password == null || password.isEmpty() ? null : password;
            return this;
        }

        /** Where the binary comes from; default: the system property {@value RedisServerProcess#BINARY_PROPERTY}, else AUTO. */
        public Builder binary(RedisServerProcess.BinarySource source) {
            this.binarySource = source;
            return this;
        }

        public Builder binaryPath(Path path) {
            this.binaryPath = path;
            return this;
        }

        /** Starts the nodes and forms the cluster; everything started is cleaned up if that fails. */
        public RedisClusterProcess start() {
            RedisClusterProcess cluster = new RedisClusterProcess(this);
            try {
                cluster.form();
                return cluster;
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
    }
}
