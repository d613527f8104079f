package io.redcompress.connect.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RespClient;

/** What the oracle reads from Redis: one server, or a whole cluster (redirects followed, every master scanned). */
public interface RedisView {

    byte[] get(String key);

    List<String> keys(String pattern);

    /** Any command about {@code key}, sent to the node that serves it. */
    Object command(String key, String... args);

    static RedisView of(RespClient client) {
        return new RedisView() {
            @Override
            public byte[] get(String key) {
                return client.get(key);
            }

            @Override
            public List<String> keys(String pattern) {
                return client.keys(pattern);
            }

            @Override
            public Object command(String key, String... args) {
                return client.command(args);
            }
        };
    }

    static RedisView of(RedisClusterProcess cluster) {
        return new RedisView() {
            @Override
            public byte[] get(String key) {
                return cluster.get(key);
            }

            @Override
            public List<String> keys(String pattern) {
                return cluster.keys(pattern);
            }

            @Override
            public Object command(String key, String... args) {
                return cluster.commandForKey(key, args);
            }
        };
    }

    /**
     * The logical keys of the bucketed layout, read through it with a bucket function of the test's own (CRC-32 of
     * the key, as docs/bucketed-layout.md specifies), not the connector's: {@code get} is HGET in the key's bucket,
     * {@code keys} the fields of every bucket that match a {@code prefix*} pattern.
     */
    static RedisView inBuckets(RedisView redis, String prefix, int count) {
        return new RedisView() {
            private String bucketOf(String key) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(key.getBytes(StandardCharsets.UTF_8));
                return prefix + (crc.getValue() % count);
            }

            @Override
            public byte[] get(String key) {
                String bucket = bucketOf(key);
                return (byte[]) redis.command(bucket, "HGET", bucket, key);
            }

            @Override
            public List<String> keys(String pattern) {
                if (pattern.indexOf('*') != pattern.length() - 1) {
                    throw new IllegalArgumentException("only prefix* patterns: " + pattern);
                }
                String start = pattern.substring(0, pattern.length() - 1);
                List<String> keys = new ArrayList<>();
                for (int b = 0; b < count; b++) {
                    String bucket = prefix + b;
                    for (Object field : (List<?>) redis.command(bucket, "HKEYS", bucket)) {
                        String key = new String((byte[]) field, StandardCharsets.UTF_8);
                        if (key.startsWith(start)) {
                            keys.add(key);
                        }
                    }
                }
                return keys;
            }

            @Override
            public Object command(String key, String... args) {
                return redis.command(key, args);
            }
        };
    }
}
