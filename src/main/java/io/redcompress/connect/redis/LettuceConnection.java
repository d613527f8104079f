package io.redcompress.connect.redis;

import java.util.Map;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.redcompress.connect.config.RedisSinkConfig;

/**
 * One Lettuce client with one byte[] connection, standalone (or a Sentinel-found master) or cluster, and what
 * differs between the two: which node a key is written to, and where to send WAIT for it.
 */
final class LettuceConnection implements AutoCloseable {

    private final AbstractRedisClient client;
    private final StatefulConnection<byte[], byte[]> connection;
    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final StatefulRedisClusterConnection<byte[], byte[]> cluster;
    private final String standaloneNode;

    private LettuceConnection(AbstractRedisClient client, StatefulConnection<byte[], byte[]> connection,
                              RedisClusterAsyncCommands<byte[], byte[]> commands,
                              StatefulRedisClusterConnection<byte[], byte[]> cluster, String standaloneNode) {
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.cluster = cluster;
        this.standaloneNode = standaloneNode;
    }

    static LettuceConnection standalone(RedisClient client, RedisSinkConfig config) {
        try {
            StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            return new LettuceConnection(client, connection, connection.async(), null, RedisClientFactory.describeEndpoint(config));
        } catch (RuntimeException e) {
            RedisClientFactory.shutdown(client);
            throw e;
        }
    }

    static LettuceConnection cluster(RedisClusterClient client, RedisSinkConfig config) {
        try {
            StatefulRedisClusterConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            return new LettuceConnection(client, connection, connection.async(), connection, null);
        } catch (RuntimeException e) {
            RedisClientFactory.shutdown(client);
            throw e;
        }
    }

    StatefulConnection<byte[], byte[]> connection() {
        return connection;
    }

    RedisClusterAsyncCommands<byte[], byte[]> commands() {
        return commands;
    }

    /** host:port of the master a key is written to, as far as the client knows now. */
    String nodeOf(byte[] key) {
        if (cluster == null) {
            return standaloneNode;
        }
        RedisClusterNode master = cluster.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        if (master == null) {
            return "(slot " + SlotHash.getSlot(key) + " unassigned)";
        }
        RedisURI uri = master.getUri();
        return uri.getHost() + ":" + uri.getPort();
    }

    /**
     * Queues WAIT on the connection that carried the writes to {@code node}: WAIT counts only the writes of its own
     * connection, so it must be the very connection Lettuce routes writes for that node through.
     */
    RedisFuture<Long> waitForReplicas(String node, int replicas, long timeoutMillis) {
        if (cluster == null) {
            return commands.waitForReplication(replicas, timeoutMillis);
        }
        int colon = node.lastIndexOf(':');
        StatefulRedisConnection<byte[], byte[]> nodeConnection = cluster.getConnection(node.substring(0, colon),
                Integer.parseInt(node.substring(colon + 1)), ConnectionIntent.WRITE);
        return nodeConnection.async().waitForReplication(replicas, timeoutMillis);
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

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            RedisClientFactory.shutdown(client);
        }
    }
}
