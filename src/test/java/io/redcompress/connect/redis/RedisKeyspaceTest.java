package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

class RedisKeyspaceTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Set<String> texts(List<byte[]> keys) {
        return keys.stream().map(k -> new String(k, StandardCharsets.UTF_8)).collect(Collectors.toSet());
    }

    @Test
    void scansMatchingKeysUpToTheLimitAndReadsWhatEachHolds() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start(); RespClient client = redis.client()) {
            for (int i = 0; i < 1200; i++) {
                client.set("k:" + i, "v" + i);
            }
            client.set("other", "x");
            client.command("HSET", "k:hash", "f", "v");
            try (RedisKeyspace keyspace = RedisKeyspace.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri())))) {
                List<byte[]> all = keyspace.scan("k:*", 10_000);
                List<byte[]> some = keyspace.scan("k:*", 700);

                assertThat(all).hasSize(1201);
                assertThat(texts(all)).contains("k:0", "k:1199", "k:hash").doesNotContain("other");
                assertThat(some).hasSize(700);
                assertThat(texts(some)).hasSize(700);

                List<RedisKeyspace.Entry> entries = keyspace.read(List.of(bytes("k:7"), bytes("k:hash"), bytes("missing")));
                assertThat(entries).extracting(RedisKeyspace.Entry::type).containsExactly("string", "hash", "none");
                assertThat(entries.get(0).value()).isEqualTo(bytes("v7"));
                assertThat(entries.get(0).memoryUsage()).isPositive();
                assertThat(entries.get(1).value()).isNull();
                assertThat(entries.get(1).memoryUsage()).isPositive();
                assertThat(entries.get(2).exists()).isFalse();
                assertThat(entries.get(2).memoryUsage()).isEqualTo(-1);
                assertThat(keyspace.read(bytes("k:7")).encoding()).isEqualTo("embstr");
            }
        }
    }

    @Test
    void readsTheLengthAndNoMoreThanTheFirstElementsOfEachStructure() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start(); RespClient client = redis.client()) {
            String[] listPush = new String[2 + 600];
            String[] setAdd = new String[2 + 600];
            listPush[0] = "RPUSH";
            listPush[1] = "list";
            setAdd[0] = "SADD";
            setAdd[1] = "set";
            for (int i = 0; i < 600; i++) {
                listPush[2 + i] = "e" + i;
                setAdd[2 + i] = "m" + i;
            }
            client.command(listPush);
            client.command(setAdd);
            client.command("HSET", "hash", "a", "1", "b", "2", "c", "3");
            client.command("ZADD", "zset", "3", "three", "1.5", "one", "2", "two");
            client.command("XADD", "stream", "1-1", "value", "v1", "key", "k1");
            client.command("XADD", "stream", "2-1", "value", "v2");
            client.command("XADD", "stream", "3-1", "value", "v3");
            client.set("string", "x");
            try (RedisKeyspace keyspace = RedisKeyspace.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri())))) {
                assertThat(keyspace.listElements(bytes("list"), 3)).extracting(e -> new String(e, StandardCharsets.UTF_8))
                        .containsExactly("e0", "e1", "e2");
                List<byte[]> members = keyspace.setMembers(bytes("set"), 510);
                assertThat(members).hasSize(510);
                assertThat(texts(members)).hasSize(510);
                assertThat(keyspace.hashEntries(bytes("hash"), "*", 2)).hasSize(2);
                assertThat(keyspace.sortedSetMembers(bytes("zset"), 2)).extracting(m -> new String(m.getKey(),
                        StandardCharsets.UTF_8) + "=" + m.getValue()).containsExactly("one=1.5", "two=2.0");
                List<RedisKeyspace.StreamEntry> entries = keyspace.streamEntries(bytes("stream"), 2);
                assertThat(entries).extracting(RedisKeyspace.StreamEntry::id).containsExactly("1-1", "2-1");
                assertThat(entries.get(0).fields()).extracting(f -> new String(f.getKey(), StandardCharsets.UTF_8) + "="
                        + new String(f.getValue(), StandardCharsets.UTF_8)).containsExactly("value=v1", "key=k1");

                assertThat(keyspace.length(bytes("list"), "list")).isEqualTo(600);
                assertThat(keyspace.length(bytes("set"), "set")).isEqualTo(600);
                assertThat(keyspace.length(bytes("hash"), "hash")).isEqualTo(3);
                assertThat(keyspace.length(bytes("zset"), "zset")).isEqualTo(3);
                assertThat(keyspace.length(bytes("stream"), "stream")).isEqualTo(3);
                assertThatThrownBy(() -> keyspace.length(bytes("string"), "string"))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void inAClusterScansEveryMasterAndReadsKeysFromTheirOwners() {
        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(3).start()) {
            for (int i = 0; i < 300; i++) {
                cluster.set("c:" + i, bytes("value-" + i));
            }
            assertThat(cluster.masters()).allSatisfy(master -> assertThat(IntStream.range(0, 300)
                    .filter(i -> master.slots().contains(RedisClusterProcess.slotOf("c:" + i))).count()).isPositive());
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", cluster.seedUris(), "redis.mode", "cluster"));
            try (RedisKeyspace keyspace = RedisKeyspace.open(config)) {
                List<byte[]> keys = keyspace.scan("c:*", 10_000);

                assertThat(texts(keys)).hasSize(300).contains("c:0", "c:299");
                assertThat(keyspace.read(keys)).allSatisfy(entry ->
                        assertThat(new String(entry.value(), StandardCharsets.UTF_8)).isEqualTo("value-" + entry.keyText().substring(2)));
                // a structure's elements come from its owner, whichever master that is
                assertThat(IntStream.range(0, 6).mapToObj(i -> cluster.nodeForKey("l:" + i)).distinct().count()).isGreaterThan(1);
                for (int i = 0; i < 6; i++) {
                    cluster.commandForKey("l:" + i, "RPUSH", "l:" + i, "a", "b");
                    assertThat(keyspace.length(bytes("l:" + i), "list")).isEqualTo(2);
                    assertThat(keyspace.listElements(bytes("l:" + i), 1)).hasSize(1);
                }
            }
        }
    }

    @Test
    void anUnreachableRedisIsARedisAccessException() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", "redis://127.0.0.1:" + port));

        assertThatThrownBy(() -> RedisKeyspace.open(config)).isInstanceOf(RedisKeyspace.RedisAccessException.class)
                .hasMessageStartingWith("Cannot connect to Redis at 127.0.0.1:" + port)
                .satisfies(e -> assertThat(RedisKeyspace.isRedisFailure(e)).isTrue());
    }
}
