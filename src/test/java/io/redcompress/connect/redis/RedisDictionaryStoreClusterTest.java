package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore.StoreResult;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.testing.RedisClusterProcess;

/** The dictionary store on a Redis Cluster of 3 masters with a replica each. */
class RedisDictionaryStoreClusterTest {

    private static RedisClusterProcess cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterProcess.builder().masters(3).replicasPerMaster(1).start();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    private static RedisSinkConfig config(String prefix, int waitReplicas) {
        return new RedisSinkConfig(Map.of("redis.mode", "cluster", "redis.uri", cluster.seedUris(),
                "compression.dictionary.key.prefix", prefix, "redis.wait.replicas", Integer.toString(waitReplicas),
                "redis.wait.timeout.ms", "2000"));
    }

    @Test
    void aDictionaryOnAnotherMasterThanTheValuesIsStoredThereAndWaitedForOnItsReplica() throws Exception {
        ZstdDictionary dictionary = RedisDictionaryStoreTest.trainHeartbeats(1);
        String key = "c1:dict:" + dictionary.id();
        String valueKey = "device:0";
        for (int i = 1; cluster.nodeForKey(valueKey) == cluster.nodeForKey(key); i++) {
            valueKey = "device:" + i;
        }
        cluster.set(valueKey, "a value");
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("c1:dict", 1), "sink")) {
            assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
            try (var owner = cluster.nodeForKey(key).client()) {
                assertThat(owner.get(key)).as("on the master of the key's slot").isEqualTo(dictionary.bytes());
                assertThat(owner.pttl(key)).isEqualTo(-1);
            }
            assertThat(store.load(dictionary.id())).isEqualTo(dictionary.bytes());
            assertThat(store.exists(dictionary.id())).isTrue();
            assertThat(store.store(dictionary)).isEqualTo(StoreResult.ALREADY_STORED);
            assertThat(store.store(RedisDictionaryStoreTest.otherWithId(dictionary.id()))).isEqualTo(StoreResult.ID_TAKEN);
            assertThat(cluster.get(key)).isEqualTo(dictionary.bytes());

            store.setActive("devices", dictionary.id());
            assertThat(store.activeId("devices")).isEqualTo(OptionalLong.of(dictionary.id()));
            assertThat(cluster.getString("c1:dict:active:sink:devices")).isEqualTo(Long.toString(dictionary.id()));
        }
    }

    @Test
    void moreReplicasThanTheMasterHasIsARefusal() {
        ZstdDictionary dictionary = RedisDictionaryStoreTest.trainHeartbeats(1);
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("c2:dict", 2), "sink")) {
            assertThatThrownBy(() -> store.store(dictionary))
                    .isInstanceOfSatisfying(DictionaryStoreException.class, e -> assertThat(e.refused()).isTrue())
                    .hasMessageContaining("c2:dict:" + dictionary.id())
                    .hasMessageContaining("only 1 of the 2 replicas")
                    .hasMessageContaining("redis.wait.replicas");
        }
    }

    @Test
    void listIdsFindsTheDictionariesOfEveryMaster() throws Exception {
        List<ZstdDictionary> dictionaries = new ArrayList<>();
        Set<RedisClusterProcess.Node> masters = new HashSet<>();
        for (long seed = 10; masters.size() < 3 && seed < 40; seed++) {
            ZstdDictionary dictionary = RedisDictionaryStoreTest.trainHeartbeats(seed);
            if (masters.add(cluster.nodeForKey("c3:dict:" + dictionary.id()))) {
                dictionaries.add(dictionary);
            }
        }
        assertThat(masters).as("dictionaries on every master").hasSize(3);
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config("c3:dict", 0), "sink")) {
            TreeSet<Long> ids = new TreeSet<>();
            for (ZstdDictionary dictionary : dictionaries) {
                assertThat(store.store(dictionary)).isEqualTo(StoreResult.STORED);
                ids.add(dictionary.id());
            }
            store.setActive("devices", dictionaries.get(0).id());
            assertThat(store.listIds()).containsExactlyElementsOf(ids);
            assertThat(store.memoryUsage(dictionaries.get(1).id())).isGreaterThanOrEqualTo(dictionaries.get(1).size());
        }
    }
}
