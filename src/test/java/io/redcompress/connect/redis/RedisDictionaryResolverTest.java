package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.UnknownDictionaryException;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/** Applications' view of the stored dictionaries, against a real redis-server. */
class RedisDictionaryResolverTest {

    @Test
    void decodesValuesThatNameAStoredDictionary() throws Exception {
        ZstdDictionary dictionary = RedisDictionaryStoreTest.trainHeartbeats(1);
        byte[] value = SampleData.heartbeat("sensor-7", 1_000, new Random(5));
        byte[] encoded = ValueEncoder.builder().codec(Codec.ZSTD).build().encode(value, dictionary);
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            client.set("redcompress:dict:" + dictionary.id(), dictionary.bytes());
            try (RedisDictionaryResolver resolver = RedisDictionaryResolver.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri())))) {
                assertThat(resolver.dictionary(dictionary.id())).isEqualTo(dictionary.bytes());
                assertThat(resolver.dictionary(dictionary.id() + 1)).isNull();
                assertThat(ValueDecoder.builder().dictionaries(resolver).build().decodeValue(encoded)).isEqualTo(value);

                client.command("DEL", "redcompress:dict:" + dictionary.id());
                assertThat(ValueDecoder.builder().dictionaries(resolver).build().decodeValue(encoded))
                        .as("a new decoder, answered from the resolver's cache").isEqualTo(value);
            }
            try (RedisDictionaryResolver resolver = RedisDictionaryResolver.open(new RedisSinkConfig(Map.of("redis.uri", redis.uri())))) {
                assertThatThrownBy(() -> ValueDecoder.builder().dictionaries(resolver).build().decodeValue(encoded))
                        .isInstanceOf(UnknownDictionaryException.class);
            }
        }
    }

    @Test
    void keepsTheLastDictionariesFoundAndAsksAgainForOnesNotFound() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client();
             RedisDictionaryStore store = RedisDictionaryStore.open(
                     new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "compression.dictionary.key.prefix", "d")), null)) {
            RedisDictionaryResolver resolver = new RedisDictionaryResolver(store);
            assertThat(resolver.dictionary(0)).isNull();
            client.set("d:0", "stored later");
            assertThat(resolver.dictionary(0)).isEqualTo(bytes("stored later"));

            int entries = RedisDictionaryResolver.CACHE_ENTRIES;
            for (int id = 1; id <= entries; id++) {
                client.set("d:" + id, "dictionary " + id);
                assertThat(resolver.dictionary(id)).isEqualTo(bytes("dictionary " + id));
            }
            for (int id = 0; id <= entries; id++) {
                client.command("DEL", "d:" + id);
            }
            assertThat(resolver.dictionary(entries)).as("kept").isEqualTo(bytes("dictionary " + entries));
            assertThat(resolver.dictionary(0)).as("the eldest, dropped").isNull();
            resolver.dictionary(entries)[0] = 'X';
            assertThat(resolver.dictionary(entries)).as("a copy each time").isEqualTo(bytes("dictionary " + entries));

            resolver.close();
            assertThat(store.exists(1)).as("the store passed in stays open").isFalse();
        }
    }

    @Test
    void aRedisThatCannotBeAskedIsAnUncheckedFailureNamingTheKey() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            redis.stop();
            try (RedisDictionaryResolver resolver = RedisDictionaryResolver.open(config)) {
                assertThatThrownBy(() -> ValueDecoder.builder().dictionaries(resolver).build()
                        .decodeValue(ValueEncoder.builder().codec(Codec.ZSTD).build()
                                .encode(SampleData.heartbeat("s", 1, new Random(1)), RedisDictionaryStoreTest.trainHeartbeats(1))))
                        .isInstanceOf(RedisDictionaryResolver.LookupFailedException.class)
                        .hasMessageContaining("redcompress:dict:");
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
