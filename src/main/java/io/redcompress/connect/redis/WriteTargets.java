package io.redcompress.connect.redis;

import java.util.concurrent.CompletableFuture;

/**
 * Where writes go: the node that serves a key now, and the connection to each node. A standalone server (or a
 * Sentinel-found master) is one node; a Redis Cluster is one node per master, each with its own connection.
 */
interface WriteTargets extends AutoCloseable {

    /** host:port of the node that serves the key now, or null when the client knows no node for its slot. */
    String nodeOf(byte[] key);

    /** The connection to a node; a node without one (or whose connection was lost) is connected to first. */
    CompletableFuture<NodeLink> link(String node);

    /**
     * Before each pipeline: connects to every node writes may go to that has no open connection yet and, when
     * {@code idle} (no pipeline in flight), closes connections to nodes that no longer serve writes.
     */
    void prepare(boolean idle);

    /** Whether MOVED and ASK can be followed (only in a cluster). */
    boolean followsRedirects();

    /** The slot map may be stale (a MOVED, a lost connection): reload it in the background. */
    void topologyMayHaveChanged();

    @Override
    void close();
}
