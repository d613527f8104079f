package io.redcompress.connect.testing;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis Sentinel deployment of real processes for tests: one master, {@link Builder#replicas(int) n}
 * replicas (default 1) and three sentinels (quorum 2) watching the master under {@link #masterName()},
 * all on 127.0.0.1 with ephemeral ports. Each process is a {@link RedisServerProcess} with its own
 * directory (sentinels rewrite their config file); the binary is chosen the same way.
 *
 * <p>Timings are fast: a master is subjectively down after 1 s without answering, a failover times out
 * after 5 s. {@link Builder#start()} returns once the replicas replicate and every sentinel sees every
 * replica and the two other sentinels, so a failover can start at once.
 *
 * <pre>{@code
 * try (RedisSentinelProcess sentinel = RedisSentinelProcess.builder().password("s3cret").start()) {
 *     RedisURI uri = RedisURI.create(sentinel.sentinelUri());   // redis-sentinel://127.0.0.1:p1,...#mymaster
 *     uri.setAuthentication(sentinel.password());               // for the data nodes; sentinels need none
 *     ...
 *     RedisSentinelProcess.Address promoted = sentinel.failover();
 *     try (RespClient master = sentinel.masterClient()) { ... }
 * }
 * }</pre>
 *
 * <p>With a password, the data nodes have {@code requirepass} and {@code masterauth} and the sentinels
 * {@code sentinel auth-pass}; the sentinels themselves take no password. Lettuce 7 uses the password of
 * a {@code redis-sentinel://} URI for the data nodes only, never for the sentinels.
 */
public final class RedisSentinelProcess implements AutoCloseable {

    public static final String DEFAULT_MASTER_NAME = "mymaster";
    public static final int SENTINELS = 3;
    public static final int QUORUM = 2;

    private static final Logger log = LoggerFactory.getLogger(RedisSentinelProcess.class);

    private static final String HOST = "127.0.0.1";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(2);
    private static final long POLL_MILLIS = 50;

    /** A {@code host:port} pair as Sentinel reports it. */
    public record Address(String host, int port) {
        static Address of(RedisServerProcess process) {
            return new Address(HOST, process.port());
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private final String masterName;
    private final String password;
    private final Duration downAfter;
    private final Duration failoverTimeout;
    private final Duration waitTimeout;
    private final List<RedisServerProcess> dataNodes = new ArrayList<>();
    private final List<RedisServerProcess> sentinels = new ArrayList<>();
    private boolean closed;

    private RedisSentinelProcess(Builder builder) {
        this.masterName = builder.masterName;
        this.password = builder.password;
        this.downAfter = builder.downAfter;
        this.failoverTimeout = builder.failoverTimeout;
        this.waitTimeout = builder.waitTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    private void start(Builder builder) {
        long startNanos = System.nanoTime();
        // resolved once here for its version; every process resolves the same binary (cached)
        RedisServerProcess.Binary binary = RedisServerProcess.resolveBinary(builder.binarySource, null);

        RedisServerProcess master = dataNode(builder, binary).start();
        dataNodes.add(master);
        for (int i = 0; i < builder.replicas; i++) {
            dataNodes.add(dataNode(builder, binary).config("replicaof", HOST + " " + master.port()).start());
        }
        // sentinels learn the replicas from the master's INFO, which they read as soon as they connect and
        // then only every 10 s: start them once the replicas are attached, or discovery takes 10 s more
        List<RedisServerProcess> replicas = List.copyOf(dataNodes.subList(1, dataNodes.size()));
        await("the replicas to attach to " + master, () -> replicationProblem(master, replicas));

        for (int i = 0; i < SENTINELS; i++) {
            RedisServerProcess.Builder sentinel = withBinary(RedisServerProcess.builder(), builder)
                    .args("--sentinel")
                    .configLine("sentinel monitor " + masterName + " " + HOST + " " + master.port() + " " + QUORUM)
                    .configLine("sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis())
                    .configLine("sentinel failover-timeout " + masterName + " " + failoverTimeout.toMillis())
                    .configLine("sentinel parallel-syncs " + masterName + " 1");
            if (password != null) {
                sentinel.configLine("sentinel auth-pass " + masterName + " " + quote(password));
            }
            sentinels.add(sentinel.start());
        }
        awaitTopology("the sentinels to see " + builder.replicas + " replica(s) and each other", Address.of(master));
        log.info("sentinel deployment '{}' ready in {} ms: master {}, replicas {}, sentinels {}", masterName,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), master.port(),
                dataNodes.subList(1, dataNodes.size()).stream().map(RedisServerProcess::port).toList(),
                sentinels.stream().map(RedisServerProcess::port).toList());
    }

    private RedisServerProcess.Builder dataNode(Builder builder, RedisServerProcess.Binary binary) {
        RedisServerProcess.Builder node = withBinary(RedisServerProcess.builder(), builder)
                // full syncs start at once instead of waiting 5 s for more replicas to join
                .config("repl-diskless-sync-delay", "0");
        if (binary.majorVersion() >= 7) {
            // Redis 7 lets a stopping master wait up to 10 s for lagging replicas; tests stop nodes in any order
            node.config("shutdown-timeout", "0");
        }
        if (password != null) {
            node.password(password).config("masterauth", quote(password));
        }
        builder.dataNodeConfig.forEach(node::config);
        return node;
    }

    private static RedisServerProcess.Builder withBinary(RedisServerProcess.Builder node, Builder builder) {
        return builder.binarySource == null ? node : node.binary(builder.binarySource);
    }

    // ---- accessors -----------------------------------------------------------------------------

    public String masterName() {
        return masterName;
    }

    /** The data nodes' password, or null. */
    public String password() {
        return password;
    }

    /**
     * {@code redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3#mymaster}, Lettuce's form (the
     * fragment names the master), without credentials (see {@link #password()}).
     */
    public String sentinelUri() {
        return "redis-sentinel://" + sentinels.stream().map(s -> HOST + ":" + s.port()).collect(Collectors.joining(","))
                + "#" + masterName;
    }

    /** The sentinels' addresses, {@code host:port} each. */
    public List<Address> sentinelAddresses() {
        return sentinels.stream().map(Address::of).toList();
    }

    /** The sentinel processes (stop or kill them for sentinel-outage tests). */
    public List<RedisServerProcess> sentinels() {
        return List.copyOf(sentinels);
    }

    /** Every data node, the initial master first; their roles change with failovers. */
    public List<RedisServerProcess> dataNodes() {
        return List.copyOf(dataNodes);
    }

    /** The master according to the first sentinel that answers {@code SENTINEL GET-MASTER-ADDR-BY-NAME}. */
    public Address currentMaster() {
        UncheckedIOException last = null;
        for (RedisServerProcess sentinel : sentinels) {
            if (!sentinel.isRunning()) {
                continue;
            }
            try {
                return masterAddressBy(sentinel);
            } catch (UncheckedIOException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no sentinel answers for " + masterName, last);
    }

    /** The data node that is {@link #currentMaster()}. */
    public RedisServerProcess currentMasterNode() {
        return node(currentMaster());
    }

    /** The running data nodes other than the current master. */
    public List<RedisServerProcess> replicaNodes() {
        Address master = currentMaster();
        return dataNodes.stream().filter(n -> n.isRunning() && n.port() != master.port()).toList();
    }

    /** A new client to the current master, authenticated; the caller closes it. */
    public RespClient masterClient() {
        return currentMasterNode().client();
    }

    /** A new client to sentinel {@code index} (0 to 2); the caller closes it. */
    public RespClient sentinelClient(int index) {
        return sentinels.get(index).client();
    }

    // ---- faults --------------------------------------------------------------------------------

    /**
     * A graceful failover: waits until the replicas have every write the master has (so nothing
     * acknowledged is lost), sends {@code SENTINEL FAILOVER}, then waits (bounded) until another node is
     * master, every running sentinel reports it, the other running nodes replicate from it (the old
     * master included, which Sentinel reconfigures some seconds after the switch, closing its client
     * connections so clients reconnect and ask the sentinels again) and the sentinels see them.
     *
     * <p>Takes about 11 s: the switch itself about 1 s, then Sentinel demotes the old master only once it
     * has reported the wrong role for 8 s, on its 10 s INFO cycle. Until then the old master still takes
     * writes from clients connected to it, as in production; this method returns after that window.
     *
     * @return the new master
     */
    public Address failover() {
        Address old = currentMaster();
        awaitReplication();
        long startNanos = System.nanoTime();
        long deadline = startNanos + waitTimeout.toNanos();
        while (true) {
            try (RespClient sentinel = sentinelClient(runningSentinel())) {
                sentinel.command("SENTINEL", "FAILOVER", masterName);
                break;
            } catch (RedisErrorReply e) {
                // NOGOODSLAVE while the sentinel's view of a replica is stale, INPROG during another failover
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("SENTINEL FAILOVER " + masterName + " refused: " + e.reply()
                            + "\n" + sentinelState(), e);
                }
                sleep(200);
            }
        }
        Address promoted = awaitNewMaster(old, "failover");
        log.info("failover of '{}' from {} to {} took {} ms", masterName, old, promoted,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        return promoted;
    }

    /**
     * Kills the current master with SIGKILL and waits (bounded; about 3 s with the default timings) until
     * the sentinels agreed it is down, promoted a replica, every running sentinel reports it and the other
     * running replicas replicate from it. Writes not replicated yet are lost, as in production; call
     * {@link #awaitReplication()} first when a test needs them. The killed node stays down;
     * {@link RedisServerProcess#restart()} brings it back as a master, which the sentinels turn into a
     * replica after some seconds.
     *
     * @return the new master
     */
    public Address killMaster() {
        Address old = currentMaster();
        long startNanos = System.nanoTime();
        node(old).kill();
        Address promoted = awaitNewMaster(old, "kill of the master");
        log.info("after killing master {} of '{}', sentinels promoted {} in {} ms", old, masterName, promoted,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        return promoted;
    }

    /** Waits (bounded) until every running replica has processed the master's whole replication stream. */
    public void awaitReplication() {
        RedisServerProcess master = currentMasterNode();
        long target;
        try (RespClient client = master.client()) {
            target = Long.parseLong(client.infoMap("replication").get("master_repl_offset"));
        }
        await("the replicas to reach offset " + target + " of " + master, () -> {
            for (RedisServerProcess replica : dataNodes) {
                if (replica == master || !replica.isRunning()) {
                    continue;
                }
                Map<String, String> info = info(replica);
                long offset = Long.parseLong(info.getOrDefault("slave_repl_offset", "-1"));
                if (offset < target) {
                    return replica.port() + " is at offset " + offset;
                }
            }
            return null;
        });
    }

    /** Stops the sentinels first (so they start no failover), then the data nodes. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        List<RedisServerProcess> all = new ArrayList<>(sentinels);
        all.addAll(dataNodes);
        for (RedisServerProcess process : all) {
            try {
                process.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "RedisSentinelProcess[" + masterName + ", data nodes "
                + dataNodes.stream().map(RedisServerProcess::port).toList() + ", sentinels "
                + sentinels.stream().map(RedisServerProcess::port).toList() + (closed ? ", closed" : "") + "]";
    }

    // ---- waiting -------------------------------------------------------------------------------

    private Address awaitNewMaster(Address old, String cause) {
        Address[] promoted = new Address[1];
        await("the sentinels to agree on a new master after the " + cause, () -> {
            Optional<Address> agreed = agreedMaster();
            if (agreed.isEmpty() || agreed.get().equals(old)) {
                return "sentinels report " + masterAddresses();
            }
            promoted[0] = agreed.get();
            return null;
        });
        awaitTopology("the nodes and sentinels to follow the new master " + promoted[0], promoted[0]);
        return promoted[0];
    }

    /**
     * Waits until {@code master} is master, every other running data node replicates from it with its
     * link up, and every running sentinel reports it, sees those replicas and the other running sentinels.
     */
    private void awaitTopology(String what, Address master) {
        await(what, () -> {
            RedisServerProcess masterNode = node(master);
            List<RedisServerProcess> replicas = dataNodes.stream()
                    .filter(n -> n != masterNode && n.isRunning()).toList();
            String problem = replicationProblem(masterNode, replicas);
            if (problem != null) {
                return problem;
            }
            List<RedisServerProcess> running = sentinels.stream().filter(RedisServerProcess::isRunning).toList();
            for (RedisServerProcess sentinel : running) {
                Address reported = masterAddressBy(sentinel);
                if (!reported.equals(master)) {
                    return "sentinel " + sentinel.port() + " reports master " + reported;
                }
                // only what a failover needs: the replica listed and reachable. Sentinel's copy of a
                // replica's INFO (its master-port, say) is refreshed every 10 s only.
                List<Map<String, String>> known = sentinelTable(sentinel, "REPLICAS");
                for (RedisServerProcess replica : replicas) {
                    Optional<Map<String, String>> entry = known.stream()
                            .filter(r -> Integer.toString(replica.port()).equals(r.get("port"))).findFirst();
                    if (entry.isEmpty() || flags(entry.get()).contains("s_down")
                            || flags(entry.get()).contains("disconnected")) {
                        return "sentinel " + sentinel.port() + " does not see replica " + replica.port()
                                + " as healthy yet: " + entry.map(RedisSentinelProcess::flags).orElse("not listed");
                    }
                }
                long peers = sentinelTable(sentinel, "SENTINELS").stream()
                        .filter(s -> !flags(s).contains("s_down") && !flags(s).contains("disconnected")).count();
                if (peers < running.size() - 1) {
                    return "sentinel " + sentinel.port() + " sees " + peers + " other sentinel(s)";
                }
            }
            return null;
        });
    }

    /** Null when every replica reports {@code master} as its master with the link up, else what is missing. */
    private String replicationProblem(RedisServerProcess master, List<RedisServerProcess> replicas) {
        Map<String, String> masterInfo = info(master);
        if (!"master".equals(masterInfo.get("role"))) {
            return master.port() + " is " + masterInfo.get("role") + ", not master";
        }
        for (RedisServerProcess replica : replicas) {
            Map<String, String> info = info(replica);
            if (!"slave".equals(info.get("role")) || !Integer.toString(master.port()).equals(info.get("master_port"))
                    || !"up".equals(info.get("master_link_status"))) {
                return "replica " + replica.port() + ": role " + info.get("role") + ", master_port "
                        + info.get("master_port") + ", link " + info.get("master_link_status");
            }
        }
        return null;
    }

    /** Polls {@code problem} (null when satisfied) until satisfied or the wait timeout passes. */
    private void await(String what, Supplier<String> problem) {
        long startNanos = System.nanoTime();
        long deadline = startNanos + waitTimeout.toNanos();
        String last = "not checked yet";
        while (true) {
            try {
                String now = problem.get();
                if (now == null) {
                    log.debug("waited {} ms for {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), what);
                    return;
                }
                if (!now.equals(last)) {
                    log.debug("{} ms waiting for {}: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                            what, now);
                }
                last = now;
            } catch (UncheckedIOException | RedisErrorReply e) {
                last = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + waitTimeout + " waiting for " + what + ": " + last
                        + " [" + this + "]\n" + sentinelState());
            }
            sleep(POLL_MILLIS);
        }
    }

    // ---- sentinel queries ----------------------------------------------------------------------

    /** The master every running sentinel reports, when they all report the same one. */
    private Optional<Address> agreedMaster() {
        List<Address> reported = masterAddresses();
        if (reported.isEmpty() || reported.contains(null) || reported.stream().distinct().count() != 1) {
            return Optional.empty();
        }
        return Optional.of(reported.get(0));
    }

    /** What each running sentinel reports; null for one that does not answer. */
    private List<Address> masterAddresses() {
        List<Address> reported = new ArrayList<>();
        for (RedisServerProcess sentinel : sentinels) {
            if (sentinel.isRunning()) {
                try {
                    reported.add(masterAddressBy(sentinel));
                } catch (UncheckedIOException | RedisErrorReply e) {
                    reported.add(null);
                }
            }
        }
        return reported;
    }

    private Address masterAddressBy(RedisServerProcess sentinel) {
        try (RespClient client = RespClient.connect(HOST, sentinel.port(), CLIENT_TIMEOUT)) {
            List<?> reply = (List<?>) client.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
            if (reply == null) {
                throw new IllegalStateException("sentinel " + sentinel.port() + " does not know " + masterName);
            }
            return new Address(text(reply.get(0)), Integer.parseInt(text(reply.get(1))));
        }
    }

    /** {@code SENTINEL REPLICAS|SENTINELS <master>}: one field map per entry. */
    private List<Map<String, String>> sentinelTable(RedisServerProcess sentinel, String table) {
        try (RespClient client = RespClient.connect(HOST, sentinel.port(), CLIENT_TIMEOUT)) {
            List<Map<String, String>> rows = new ArrayList<>();
            for (Object entry : (List<?>) client.command("SENTINEL", table, masterName)) {
                List<?> fields = (List<?>) entry;
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    row.put(text(fields.get(i)), text(fields.get(i + 1)));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static String flags(Map<String, String> row) {
        return row.getOrDefault("flags", "");
    }

    /** Every sentinel's view, for failure messages. */
    private String sentinelState() {
        StringBuilder state = new StringBuilder();
        for (RedisServerProcess sentinel : sentinels) {
            state.append("--- sentinel ").append(sentinel.port()).append(": ");
            if (!sentinel.isRunning()) {
                state.append("not running\n");
                continue;
            }
            try {
                state.append("master ").append(masterAddressBy(sentinel))
                        .append(", replicas ").append(sentinelTable(sentinel, "REPLICAS").stream()
                                .map(r -> r.get("port") + "[" + flags(r) + ", master-port " + r.get("master-port") + "]")
                                .toList())
                        .append(", sentinels ").append(sentinelTable(sentinel, "SENTINELS").stream()
                                .map(s -> s.get("port") + "[" + flags(s) + "]").toList())
                        .append('\n');
            } catch (RuntimeException e) {
                state.append(e).append('\n');
            }
            state.append(lastLines(sentinel.logTail(), 15));
        }
        return state.toString();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private RedisServerProcess node(Address address) {
        return dataNodes.stream().filter(n -> n.port() == address.port()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no data node at " + address + " in " + this));
    }

    private int runningSentinel() {
        for (int i = 0; i < sentinels.size(); i++) {
            if (sentinels.get(i).isRunning()) {
                return i;
            }
        }
        throw new IllegalStateException("no sentinel running: " + this);
    }

    private static Map<String, String> info(RedisServerProcess node) {
        try (RespClient client = node.client()) {
            return client.infoMap("replication");
        }
    }

    private static String text(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static String lastLines(String text, int count) {
        List<String> lines = text.lines().toList();
        return lines.subList(Math.max(0, lines.size() - count), lines.size()).stream()
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---- builder -------------------------------------------------------------------------------

    /** Options for a {@link RedisSentinelProcess}; {@link #start()} starts every process. */
    public static final class Builder {
        private String masterName = DEFAULT_MASTER_NAME;
        private int replicas = 1;
        private String password;
        private RedisServerProcess.BinarySource binarySource;
        private Duration downAfter = Duration.ofMillis(1000);
        private Duration failoverTimeout = Duration.ofMillis(5000);
        private Duration waitTimeout = Duration.ofSeconds(30);
        private final Map<String, String> dataNodeConfig = new LinkedHashMap<>();

        private Builder() {
        }

        /** The name the sentinels monitor the master under; default {@value #DEFAULT_MASTER_NAME}. */
        public Builder masterName(String name) {
            this.masterName = Objects.requireNonNull(name);
            return this;
        }

        /** How many replicas (at least 1, so a failover has somewhere to go); default 1. */
        public Builder replicas(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("at least one replica: " + count);
            }
            this.replicas = count;
            return this;
        }

        /** {@code requirepass}/{@code masterauth} on the data nodes, {@code sentinel auth-pass} on the sentinels. */
        public Builder password(String password) {
            this.password = password == null || password.isEmpty() ? null : password;
            return this;
        }

        /** Where the binary comes from; default: as for {@link RedisServerProcess}. */
        public Builder binary(RedisServerProcess.BinarySource source) {
            this.binarySource = source;
            return this;
        }

        /** {@code sentinel down-after-milliseconds}; default 1 s. */
        public Builder downAfter(Duration downAfter) {
            this.downAfter = downAfter;
            return this;
        }

        /** {@code sentinel failover-timeout}; default 5 s. */
        public Builder failoverTimeout(Duration failoverTimeout) {
            this.failoverTimeout = failoverTimeout;
            return this;
        }

        /** The bound on every wait (start-up, failover, kill); default 30 s. */
        public Builder waitTimeout(Duration waitTimeout) {
            this.waitTimeout = waitTimeout;
            return this;
        }

        /** A {@code redis.conf} directive for every data node (see {@link RedisServerProcess.Builder#config}). */
        public Builder dataNodeConfig(String name, String value) {
            dataNodeConfig.put(name, value);
            return this;
        }

        /** Starts the master, the replicas and the sentinels; everything started is stopped if a step fails. */
        public RedisSentinelProcess start() {
            RedisSentinelProcess deployment = new RedisSentinelProcess(this);
            try {
                deployment.start(this);
                return deployment;
            } catch (RuntimeException e) {
                try {
                    deployment.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }
}
