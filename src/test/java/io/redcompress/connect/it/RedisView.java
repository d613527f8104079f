package io.redcompress.connect.it;

import java.util.List;

import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RespClient;

/** What the oracle reads from Redis: one server, or a whole cluster (redirects followed, every master scanned). */
public interface RedisView {

    byte[] get(String key);

    List<String> keys(String pattern);

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
        };
    }
}
