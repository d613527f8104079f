package io.redcompress.connect.redis;

import java.util.Map;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;

/**
 * One Lettuce client with one byte[] connection, auto-flush on, standalone (or a Sentinel-found master) or cluster:
 * what {@link RedisConnectivityCheck} PINGs and asks for INFO, and what {@link RedisDictionaryStore} keeps dictionaries
 * through. Records' writes go through {@link WriteTargets} instead.
 */
final class LettuceConnection implements AutoCloseable {

    private final AbstractRedisClient client;
    private final StatefulConnection<byte[], byte[]> connection;
    private final RedisClusterAsyncCommands<byte[], byte[]> commands;

    private LettuceConnection(AbstractRedisClient client, StatefulConnection<byte[], byte[]> connection,
                              RedisClusterAsyncCommands<byte[], byte[]> commands) {
        this.client = client;
        this.connection = connection;
        this.commands = commands;
    }

    static LettuceConnection standalone(RedisClient client) {
        try {
            StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            return new LettuceConnection(client, connection, connection.async());
        } catch (RuntimeException e) {
            RedisClientFactory.shutdown(client);
            throw e;
        }
    }

    static LettuceConnection cluster(RedisClusterClient client) {
        try {
            StatefulRedisClusterConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            return new LettuceConnection(client, connection, connection.async());
        } catch (RuntimeException e) {
            RedisClientFactory.shutdown(client);
            throw e;
        }
    }

    RedisClusterAsyncCommands<byte[], byte[]> commands() {
        return commands;
    }

    /**
     * The connection of the node that owns {@code key}: the one connection, or in a cluster the node connection of the
     * master that serves the key's slot by the client's slot map. Commands on a node connection follow no redirect,
     * so a WAIT sent on it counts the writes sent on it before.
     *
     * @throws RedisException if no master serves the slot, or the node connection cannot be opened
     */
    StatefulRedisConnection<byte[], byte[]> connectionFor(byte[] key) {
        if (!(connection instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster)) {
            return (StatefulRedisConnection<byte[], byte[]>) connection;
        }
        int slot = SlotHash.getSlot(key);
        RedisClusterNode master = cluster.getPartitions().getMasterBySlot(slot);
        if (master == null) {
            throw new RedisException("no Redis Cluster master serves slot " + slot + " in the client's slot map");
        }
        return cluster.getConnection(master.getNodeId());
    }

    /**
     * A connection to every node that holds keys, by host:port: the one connection (named {@code endpoint}), or in a
     * cluster every master that serves slots.
     */
    Map<String, StatefulRedisConnection<byte[], byte[]>> masterConnections(String endpoint) {
        if (!(connection instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster)) {
            return Map.of(endpoint, (StatefulRedisConnection<byte[], byte[]>) connection);
        }
        Map<String, StatefulRedisConnection<byte[], byte[]>> masters = new java.util.LinkedHashMap<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.hasNoSlots()) {
                masters.put(ClusterNodes.address(node.getUri()), cluster.getConnection(node.getNodeId()));
            }
        }
        return masters;
    }

    /**
     * In a cluster, how many replicas each master has that the cluster sees as up (host:port of the master → count);
     * empty outside a cluster.
     */
    Map<String, Integer> replicasPerMaster() {
        if (!(connection instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster)) {
            return Map.of();
        }
        Map<String, Integer> replicas = new java.util.TreeMap<>();
        Map<String, String> addressOfMaster = new java.util.HashMap<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                String address = ClusterNodes.address(node.getUri());
                addressOfMaster.put(node.getNodeId(), address);
                replicas.putIfAbsent(address, 0);
            }
        }
        for (RedisClusterNode node : cluster.getPartitions()) {
            boolean up = !node.is(RedisClusterNode.NodeFlag.FAIL) && !node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL);
            String master = addressOfMaster.get(node.getSlaveOf());
            if (node.is(RedisClusterNode.NodeFlag.REPLICA) && up && master != null) {
                replicas.merge(master, 1, Integer::sum);
            }
        }
        return replicas;
    }

    /** INFO of the node connected to (a standalone server or a Sentinel-found master), as a map. */
    Map<String, String> info(String section) throws Exception {
        String text = commands.info(section).get();
        Map<String, String> fields = new java.util.HashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /** Closes the connection and hands its client over to the caller, who now owns it: one client per task start. */
    AbstractRedisClient handOver() {
        connection.close();
        return client;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            RedisClientFactory.shutdown(client);
        }
    }
}
