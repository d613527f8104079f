package io.redcompress.connect.config;

/** The kind of Redis deployment the connector writes to. */
public enum RedisMode {
    /** One Redis server (redis:// or rediss://). */
    STANDALONE,
    /** A master found through Sentinel (redis-sentinel://host:port,host:port#masterName); followed across failovers. */
    SENTINEL,
    /** Redis Cluster: redis.uri lists one or more seed nodes, comma-separated; slots and redirects are followed. */
    CLUSTER;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
