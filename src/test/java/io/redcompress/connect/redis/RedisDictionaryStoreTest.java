package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore.StoreResult;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/** The dictionary store against a real redis-server; each test under its own key prefix. */
class RedisDictionaryStoreTest {

    private static RedisServerProcess redis;
    private static ZstdDictionary dictionary;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().start();
        try (RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~device:*", "+@all");
            admin.command("ACL", "SETUSER", "no-config", "on", ">pw", "~*", "+@all", "-config");
        }
        dictionary = trainHeartbeats(1);
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    /** A small dictionary trained on 300 heartbeats drawn with {@code seed}. */
    static ZstdDictionary trainHeartbeats(long seed) {
        Random random = new Random(seed);
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            samples.add(SampleData.heartbeat("sensor-" + random.nextInt(50), i, random));
        }
        return DictionaryTrainer.train(samples, 4096);
    }

    /** A dictionary with other bytes that claims {@code id} (bytes 4..7, little-endian), as a collision of derived ids would. */
    static ZstdDictionary otherWithId(long id) {
        Random random = new Random(99);
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            samples.add(SampleData.logLine(i, random));
        }
        byte[] bytes = DictionaryTrainer.train(samples, 4096).bytes();
        for (int i = 0; i < 4; i++) {
            bytes[4 + i] = (byte) (id >>> (8 * i));
        }
        return ZstdDictionary.of(bytes);
    }

    private static RedisSinkConfig config(String prefix, String... more) {
        Map<String, String> props = new HashMap<>();
        props.put("redis.uri", redis.uri());
        props.put("compression.dictionary.key.prefix", prefix);
        for (int i = 0; i < more.length; i += 2) {
            props.put(more[i], more[i + 1]);
        }
        return new RedisSinkConfig(props);
    }

    @Test
    void storesOnceThenFindsTheSameBytesWithoutExpiry() throws Exception {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t1:dict"), "c");
             RespClient client = redis.client()) {
            String key = "t1:dict:" + dictionary.id();
            assertThat(store.key(dictionary.id())).isEqualTo(key);
            assertThat(store.exists(dictionary.id())).isFalse();
            assertThat(store.load(dictionary.id())).isNull();

            assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
            assertThat(store.load(dictionary.id())).isEqualTo(dictionary.bytes());
            assertThat(store.exists(dictionary.id())).isTrue();
            assertThat(client.get(key)).isEqualTo(dictionary.bytes());
            assertThat(client.pttl(key)).as("never expires").isEqualTo(-1);

            // another task stored it; a TTL someone put on the key is cleared by the SET XX of the same bytes
            client.command("PEXPIRE", key, "600000");
            assertThat(store.store(dictionary)).isEqualTo(StoreResult.ALREADY_STORED);
            assertThat(client.get(key)).isEqualTo(dictionary.bytes());
            assertThat(client.pttl(key)).isEqualTo(-1);
        }
    }

    @Test
    void anotherDictionaryWithTheSameIdLeavesTheStoredOneAlone() throws Exception {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t2:dict"), "c");
             RespClient client = redis.client()) {
            ZstdDictionary other = otherWithId(dictionary.id());
            assertThat(other.id()).isEqualTo(dictionary.id());
            assertThat(other.bytes()).isNotEqualTo(dictionary.bytes());

            assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
            assertThat(store.store(other)).isEqualTo(StoreResult.ID_TAKEN);
            assertThat(client.get("t2:dict:" + dictionary.id())).isEqualTo(dictionary.bytes());
            assertThat(client.pttl("t2:dict:" + dictionary.id())).isEqualTo(-1);
        }
    }

    @Test
    void thePointerRoundTripsPerConnectorAndTopic() throws Exception {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t3:dict"), "sink-a");
             RedisDictionaryStore otherConnector = RedisDictionaryStore.open(config("t3:dict"), "sink-b");
             RespClient client = redis.client()) {
            assertThat(store.activeId("devices")).isEmpty();
            store.setActive("devices", 40_000);
            store.setActive("devices", dictionary.id()); // overwritten freely
            assertThat(store.activeId("devices")).isEqualTo(OptionalLong.of(dictionary.id()));
            assertThat(client.getString("t3:dict:active:sink-a:devices")).isEqualTo(Long.toString(dictionary.id()));
            assertThat(store.activeId("logs")).isEmpty();
            assertThat(otherConnector.activeId("devices")).isEmpty();

            client.set("t3:dict:active:sink-a:logs", "not-a-number");
            assertThat(store.activeId("logs")).as("garbage is no id").isEmpty();
        }
    }

    @Test
    void listsTheIdsUnderThePrefixAndTheirMemory() throws Exception {
        ZstdDictionary second = trainHeartbeats(2);
        // a prefix with glob characters matches only itself
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t4:d[i]ct*"), "c");
             RespClient client = redis.client()) {
            store.store(dictionary);
            store.store(second);
            store.setActive("devices", dictionary.id());
            client.set("t4:d[i]ct*:12ab", "not a dictionary");
            client.set("t4:dict:123", "another prefix");
            client.set("t4:dict*:124", "another prefix");

            assertThat(store.listIds()).containsExactlyElementsOf(
                    new java.util.TreeSet<>(List.of(dictionary.id(), second.id())));
            assertThat(store.memoryUsage(dictionary.id())).isGreaterThanOrEqualTo(dictionary.size());
            assertThat(store.memoryUsage(12_345)).as("no such key").isEqualTo(-1);
        }
    }

    @Test
    void aUserWithoutTheKeysIsRefusedWithTheKeyAndTheSetting() {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(
                config("t5:dict", "redis.username", "devices", "redis.password", "pw"), "c")) {
            assertThatThrownBy(() -> store.store(dictionary))
                    .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isTrue())
                    .hasMessageContaining("t5:dict:" + dictionary.id())
                    .hasMessageContaining("NOPERM")
                    .hasMessageContaining("redis.username")
                    .hasMessageContaining("~t5:dict:*")
                    .hasMessageContaining("compression.dictionary.key.prefix");
            assertThatThrownBy(() -> store.load(dictionary.id()))
                    .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isTrue());
        }
    }

    @Test
    void outOfMemoryIsARefusal() {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t6:dict"), "c");
             RespClient admin = redis.client()) {
            admin.configSet("maxmemory", "1");
            try {
                assertThatThrownBy(() -> store.store(dictionary))
                        .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isTrue())
                        .hasMessageContaining("t6:dict:" + dictionary.id())
                        .hasMessageContaining("OOM")
                        .hasMessageContaining("maxmemory");
            } finally {
                admin.configSet("maxmemory", "0");
            }
            assertThat(admin.exists("t6:dict:" + dictionary.id())).isFalse();
        }
    }

    @Test
    void tooFewReplicasIsARefusalNamingTheSettingWithinTheWaitTimeout() throws Exception {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(
                config("t7:dict", "redis.wait.replicas", "1", "redis.wait.timeout.ms", "300"), "c")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.store(dictionary))
                    .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isTrue())
                    .hasMessageContaining("t7:dict:" + dictionary.id())
                    .hasMessageContaining("redis.wait.replicas");
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(250L, 5_000L);
            // the second store finds the same bytes, writes them again and waits again: refused alike
            assertThatThrownBy(() -> store.store(dictionary)).hasMessageContaining("redis.wait.replicas");
        }
    }

    @Test
    void evictionRiskOnlyUnderAnAllkeysPolicyThatCanBeRead() {
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("t8:dict"), "c");
             RedisDictionaryStore noConfig = RedisDictionaryStore.open(
                     config("t8:dict", "redis.username", "no-config", "redis.password", "pw"), "c");
             RespClient admin = redis.client()) {
            assertThat(store.evictionRisk()).isEmpty();
            admin.configSet("maxmemory-policy", "allkeys-lru");
            try {
                assertThat(store.evictionRisk()).hasValueSatisfying(text -> assertThat(text)
                        .contains("allkeys-lru").contains("t8:dict:<id>").contains("evicted").contains("unreadable"));
                assertThat(noConfig.evictionRisk()).as("CONFIG refused").isEmpty();
            } finally {
                admin.configSet("maxmemory-policy", "noeviction");
            }
        }
    }

    @Test
    void aRedisThatIsDownIsNoRefusal() throws Exception {
        try (RedisServerProcess own = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", own.uri(), "redis.connect.timeout.ms", "500"));
            try (RedisDictionaryStore store = RedisDictionaryStore.open(config, "c")) {
                assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
                own.stop();
                assertThatThrownBy(() -> store.store(dictionary))
                        .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isFalse())
                        .hasMessageContaining("redcompress:dict:" + dictionary.id());
                assertThatThrownBy(() -> store.load(dictionary.id()))
                        .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isFalse());
            }
            // opening does not connect: the first call finds Redis down
            try (RedisDictionaryStore store = RedisDictionaryStore.open(config, "c")) {
                assertThatThrownBy(() -> store.exists(dictionary.id()))
                        .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isFalse())
                        .hasMessageContaining("redcompress:dict:" + dictionary.id());
            }
        }
    }

    @Test
    void aRedisThatDoesNotAnswerTimesOutAsNoRefusal() throws Exception {
        try (RedisServerProcess own = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", own.uri(), "redis.command.timeout.ms", "500"));
            try (RedisDictionaryStore store = RedisDictionaryStore.open(config, "c")) {
                assertThat(store.exists(dictionary.id())).isFalse();
                own.suspend();
                try {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> store.store(dictionary))
                            .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isFalse())
                            .hasMessageContaining("redcompress:dict:" + dictionary.id())
                            .hasMessageContaining("redis.command.timeout.ms");
                    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3_000L);
                } finally {
                    own.resume();
                }
            }
        }
    }
}
