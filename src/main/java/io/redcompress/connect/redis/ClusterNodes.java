package io.redcompress.connect.redis;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;

/**
 * A Redis Cluster as connections we drive ourselves: the slot map comes from Lettuce's {@link RedisClusterClient}
 * (loaded at start, refreshed every 30 s and whenever a write meets a MOVED or a lost connection), and each master
 * gets its own connection from a plain {@link RedisClient}, opened before the first pipeline (at start, and for a
 * new master as soon as the slot map names it). Lettuce's cluster connection is not used for writes: it opens node
 * connections lazily (rejecting commands meanwhile) and does not flush the commands it re-sends after a redirect.
 */
final class ClusterNodes implements WriteTargets {

    private static final Logger log = LoggerFactory.getLogger(ClusterNodes.class);
    private static final long MIN_REFRESH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final RedisClusterClient topology;
    private final RedisClient nodeClient;
    private final RedisURI template;
    private final Map<String, CompletableFuture<NodeLink>> links = new ConcurrentHashMap<>();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile long lastRefreshNanos = System.nanoTime() - MIN_REFRESH_INTERVAL_NANOS;
    private volatile boolean closed;

    private ClusterNodes(RedisClusterClient topology, RedisClient nodeClient, RedisURI template) {
        this.topology = topology;
        this.nodeClient = nodeClient;
        this.template = template;
    }

    /**
     * Loads the slot map and connects to every master, waiting (each at most the connect timeout) so that the first
     * pipeline finds every connection open. A master that cannot be reached now is logged and connected to again
     * before the next pipeline.
     *
     * @param template credentials, TLS and timeout of every node connection (the first seed URI)
     */
    static ClusterNodes open(RedisClusterClient topology, RedisClient nodeClient, RedisURI template, Duration connectTimeout) {
        topology.refreshPartitions();
        ClusterNodes nodes = new ClusterNodes(topology, nodeClient, template);
        nodes.prepare(true);
        nodes.links.forEach((node, link) -> {
            try {
                link.get(connectTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("Cannot connect to Redis Cluster master {} yet ({}); trying again before the next pipeline", node,
                        rootMessage(e));
            }
        });
        return nodes;
    }

    @Override
    public String nodeOf(byte[] key) {
        RedisClusterNode master = topology.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        return master == null ? null : address(master.getUri());
    }

    @Override
    public CompletableFuture<NodeLink> link(String node) {
        return links.compute(node, (n, current) -> current != null && !isDead(current) ? current : connect(n, current));
    }

    @Override
    public void prepare(boolean idle) {
        Set<String> masters = masters();
        masters.forEach(this::link);
        if (idle) {
            links.forEach((node, link) -> {
                if (!masters.contains(node) && links.remove(node, link)) {
                    log.info("Closing the connection to {}: it serves no slot any more", node);
                    link.thenAccept(NodeLink::close);
                }
            });
        }
    }

    @Override
    public boolean followsRedirects() {
        return true;
    }

    @Override
    public void topologyMayHaveChanged() {
        long now = System.nanoTime();
        if (closed || now - lastRefreshNanos < MIN_REFRESH_INTERVAL_NANOS || !refreshing.compareAndSet(false, true)) {
            return;
        }
        lastRefreshNanos = now;
        try {
            topology.refreshPartitionsAsync().whenComplete((ignored, error) -> {
                refreshing.set(false);
                if (error != null) {
                    log.debug("Reloading the Redis Cluster slot map failed: {}", rootMessage(error));
                }
            });
        } catch (RuntimeException e) {
            refreshing.set(false);
            log.debug("Reloading the Redis Cluster slot map failed: {}", rootMessage(e));
        }
    }

    /** host:port of every node that serves at least one slot, as the client sees the cluster now. */
    private Set<String> masters() {
        Set<String> masters = new LinkedHashSet<>();
        for (RedisClusterNode node : topology.getPartitions()) {
            if (!node.hasNoSlots()) {
                masters.add(address(node.getUri()));
            }
        }
        return masters;
    }

    private CompletableFuture<NodeLink> connect(String node, CompletableFuture<NodeLink> previous) {
        if (previous != null) {
            previous.thenAccept(NodeLink::close);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("closed"));
        }
        int colon = node.lastIndexOf(':');
        RedisURI uri = RedisURI.builder(template)
                .withHost(node.substring(0, colon))
                .withPort(Integer.parseInt(node.substring(colon + 1)))
                .build();
        try {
            return nodeClient.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture()
                    .thenApply(connection -> new NodeLink(node, connection));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A connection that failed to open or was lost; node connections do not reconnect by themselves. */
    private static boolean isDead(CompletableFuture<NodeLink> link) {
        return link.isCompletedExceptionally() || link.isDone() && !link.join().isOpen();
    }

    static String address(RedisURI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public void close() {
        closed = true;
        try {
            // the client's shutdown closes every node connection: closing them first as well made Lettuce log
            // "Connection is already closed" once per master at every task stop
            links.clear();
            RedisClientFactory.shutdown(nodeClient);
        } finally {
            RedisClientFactory.shutdown(topology);
        }
    }
}
