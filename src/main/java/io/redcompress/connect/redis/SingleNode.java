package io.redcompress.connect.redis;

import java.util.concurrent.CompletableFuture;

import io.lettuce.core.RedisClient;

/** A standalone server or a Sentinel-found master: one connection, which Lettuce reconnects (to the new master). */
final class SingleNode implements WriteTargets {

    private final RedisClient client;
    private final NodeLink link;
    private final CompletableFuture<NodeLink> linked;

    SingleNode(RedisClient client, NodeLink link) {
        this.client = client;
        this.link = link;
        this.linked = CompletableFuture.completedFuture(link);
    }

    @Override
    public String nodeOf(byte[] key) {
        return link.node();
    }

    @Override
    public CompletableFuture<NodeLink> link(String node) {
        return linked;
    }

    @Override
    public void prepare(boolean idle) {
    }

    @Override
    public boolean followsRedirects() {
        return false;
    }

    @Override
    public void topologyMayHaveChanged() {
    }

    @Override
    public void close() {
        RedisClientFactory.shutdown(client); // closes the link's connection too
    }
}
