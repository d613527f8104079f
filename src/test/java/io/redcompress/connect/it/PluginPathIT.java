package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.testing.LogCapture;
import io.redcompress.connect.testing.PluginJars;
import io.redcompress.connect.testing.RespClient;

/**
 * The connector as an operator installs it: the worker finds it only in the packaged plugin directory
 * (plugin.path=target/plugin), with its own copies of Lettuce and the codecs in an isolated class loader.
 * Failsafe runs this class with target/classes off the classpath, and the first test proves it.
 */
class PluginPathIT {

    private static final Path PLUGIN_DIR = Path.of(System.getProperty("plugin.dir", "target/plugin"));
    private static ConnectAndRedis cluster;
    private static RespClient redis;

    @BeforeAll
    static void startCluster() {
        assertThat(PluginJars.libDirectory(PLUGIN_DIR)).as("run 'package' first").isDirectory();
        cluster = ConnectAndRedis.start("plugin-path-it", worker -> worker.put("plugin.path", PLUGIN_DIR.toAbsolutePath().toString()));
        redis = cluster.redisClient;
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theConnectorIsNotOnTheTestClasspath() {
        assertThatThrownBy(() -> Class.forName(ConnectAndRedis.CONNECTOR_CLASS)).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void theWorkerLoadsTheConnectorFromThePluginDirectoryAndItWritesDecodableValues() throws Exception {
        String topic = "heartbeats";
        cluster.connect.kafka().createTopic(topic, 2);
        for (int i = 0; i < 50; i++) {
            cluster.connect.kafka().produce(topic, i % 2, "dev-" + i, heartbeat(i));
        }
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("compression.codec", "zstd");
        config.put("compression.min.bytes", "0");
        cluster.startConnector("from-plugin-path", config);

        cluster.awaitCommitted("from-plugin-path", Map.of(new TopicPartition(topic, 0), 25L, new TopicPartition(topic, 1), 25L),
                Duration.ofSeconds(60));
        try (PluginJars plugin = PluginJars.open(PLUGIN_DIR)) {
            for (int i = 0; i < 50; i++) {
                byte[] stored = redis.get(topic + ":dev-" + i);
                assertThat(stored[0] & 0xFF).as("our format's first byte").isEqualTo(0xF5);
                assertThat(new String(plugin.decode(stored), StandardCharsets.UTF_8)).isEqualTo(heartbeat(i));
            }
        }
    }

    @Test
    void inThePluginsOwnClassLoaderLz4CompressesWithItsNativeLibrary() throws Exception {
        // lz4-java's fastestInstance() tries its native library only under the system class loader: in a worker it
        // fell back to the pure-Java compressor, which cost a third of the throughput
        String topic = "lz4-native";
        cluster.connect.kafka().createTopic(topic, 1);
        for (int i = 0; i < 20; i++) {
            cluster.connect.kafka().produce(topic, 0, "dev-" + i, heartbeat(i).repeat(4));
        }
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("compression.codec", "lz4");
        try (LogCapture logs = LogCapture.start()) {
            cluster.startConnector("lz4-from-plugin-path", config);
            cluster.awaitCommitted("lz4-from-plugin-path", Map.of(new TopicPartition(topic, 0), 20L), Duration.ofSeconds(60));
            assertThat(logs.text()).contains("with codec lz4 (native JNI library)");
        }
        try (PluginJars plugin = PluginJars.open(PLUGIN_DIR)) {
            for (int i = 0; i < 20; i++) {
                byte[] stored = redis.get(topic + ":dev-" + i);
                assertThat(stored[1] >> 4 & 0x0F).as("codec id of lz4: the value was compressed").isEqualTo(1);
                assertThat(new String(plugin.decode(stored), StandardCharsets.UTF_8)).isEqualTo(heartbeat(i).repeat(4));
            }
        }
    }

    @Test
    void inThePluginsOwnClassLoaderZstdTrainsAndUsesADictionary() throws Exception {
        // zstd's trainer and digested dictionaries are native code: they must work in the plugin's class loader too
        String topic = "zstd-dictionary";
        cluster.connect.kafka().createTopic(topic, 1);
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("compression.codec", "zstd");
        config.put("compression.dictionary", "auto");
        cluster.startConnector("dictionary-from-plugin-path", config);
        java.util.Random random = new java.util.Random(3);
        String pointer = "redcompress:dict:active:dictionary-from-plugin-path:" + topic;
        int[] sent = {0};
        // a live stream: values keep coming until the task has stored a dictionary and uses it
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try (var producer = cluster.producer()) {
                for (int i = 0; i < 500; i++, sent[0]++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0,
                            ("early-" + sent[0]).getBytes(StandardCharsets.UTF_8),
                            io.redcompress.connect.testing.SampleData.heartbeat("d" + sent[0] % 50, sent[0], random)));
                }
            }
            return redis.exists(pointer);
        });
        Map<String, byte[]> late = new java.util.HashMap<>();
        try (var producer = cluster.producer()) {
            for (int i = 0; i < 100; i++) {
                byte[] value = io.redcompress.connect.testing.SampleData.heartbeat("d" + i % 50, 10_000 + i, random);
                late.put(topic + ":late-" + i, value);
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, ("late-" + i).getBytes(StandardCharsets.UTF_8), value));
            }
        }
        cluster.awaitCommitted("dictionary-from-plugin-path", Map.of(new TopicPartition(topic, 0), sent[0] + 100L), Duration.ofSeconds(60));
        String id = redis.getString(pointer);
        try (PluginJars plugin = PluginJars.open(PLUGIN_DIR)) {
            java.util.function.UnaryOperator<byte[]> decoder = plugin.decoder(d -> redis.get("redcompress:dict:" + d));
            for (Map.Entry<String, byte[]> entry : late.entrySet()) {
                byte[] stored = redis.get(entry.getKey());
                assertThat(stored[1] >> 4 & 0x0F).as("codec id 5: zstd with a dictionary").isEqualTo(5);
                assertThat(decoder.apply(stored)).isEqualTo(entry.getValue());
            }
        }
        assertThat(redis.get("redcompress:dict:" + id)).isNotNull();
    }

    private static String heartbeat(int i) {
        return "{\"deviceId\":\"dev-" + i + "\",\"battery\":" + (90 - i % 10) + ",\"status\":\"OK\",\"temp\":21." + i % 10 + "}";
    }
}
