package io.redcompress.connect.quickstart;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

import io.redcompress.connect.testing.DeadLetterReasons;
import io.redcompress.connect.testing.PluginJars;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * The quickstart: a KRaft broker, a Connect worker that loads the connector from the built plugin directory, and a
 * redis-server, all on this machine (or an existing Kafka and Redis, by flags); sample IoT heartbeats and JSON log
 * lines with a few malformed records; the stream into Redis with progress; a summary of what arrived.
 *
 * <p>It runs with the connector's classes off its classpath (see the quickstart profile in pom.xml), so the worker
 * can only find the connector where an operator would install it.
 */
public final class Quickstart {

    private static final int PARTITIONS = 3;
    /** Where the zstd-with-dictionaries connector writes the same stream, beside the operator's codec's keys. */
    private static final String DICTIONARY_KEYS = "zstd-dictionary:";
    private static final String DICTIONARY_PREFIX = "redcompress:dict";

    private final Options options;
    /** Names get a run id against an existing Kafka, so the quickstart can run again without clashing. */
    private final String connectorName;
    private final String heartbeatsTopic;
    private final String logsTopic;
    private final String dlqTopic;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String bootstrapServers;
    private String connectRestUrl;
    private String redisUri;
    private RespClient redis;
    /** used_memory before the connectors wrote anything: the summary gives the growth over it per key or entry. */
    private long usedMemoryAtStart;

    private Quickstart(Options options) {
        this.options = options;
        String suffix = options.bootstrapServers == null ? "" : "-" + UUID.randomUUID().toString().substring(0, 8);
        this.connectorName = "quickstart-redis-sink" + suffix;
        this.heartbeatsTopic = "quickstart.heartbeats" + suffix;
        this.logsTopic = "quickstart.logs" + suffix;
        this.dlqTopic = "quickstart.dlq" + suffix;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (options == null) {
            return;
        }
        Quickstart quickstart = new Quickstart(options);
        int status = 1;
        try {
            status = quickstart.run();
        } finally {
            quickstart.shutdown();
        }
        System.exit(status);
    }

    private int run() throws Exception {
        long began = System.nanoTime();
        startRedis();
        startKafkaAndConnect();
        createTopics();
        Produced produced = produceSampleData();
        startConnectors();
        long committed = awaitStreamed(produced, connectorName);
        boolean complete = committed >= produced.total();
        if (options.dictionaryDemo) {
            complete &= awaitStreamed(produced, dictionaryConnectorName()) >= produced.total();
        }
        printSummary(produced, committed, complete, System.nanoTime() - began);
        return complete ? 0 : 1;
    }

    // ---- set-up --------------------------------------------------------------------------------

    private void startRedis() {
        if (options.redisUri != null) {
            redisUri = options.redisUri;
            URI uri = URI.create(redisUri);
            redis = RespClient.connect(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
            step("Using Redis at %s:%d", uri.getHost(), uri.getPort());
        } else {
            RedisServerProcess server = RedisServerProcess.builder().start();
            toClose.add(server);
            redisUri = server.uri();
            redis = server.client();
            step("Started redis-server %s (%s) on %s", server.versionString(), server.binary().source(), redisUri);
        }
        toClose.add(0, redis);
        usedMemoryAtStart = redis.usedMemory();
    }

    private void startKafkaAndConnect() {
        Map<String, String> worker = new HashMap<>();
        worker.put("plugin.path", options.pluginPath.toAbsolutePath().toString());
        worker.put("plugin.discovery", "service_load");
        worker.put("offset.flush.interval.ms", "1000");
        if (options.bootstrapServers == null) {
            Properties broker = new Properties();
            broker.put("auto.create.topics.enable", "false");
            EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder()
                    .name("quickstart").numBrokers(1).numWorkers(1).workerProps(worker).brokerProps(broker)
                    .maskExitProcedures(true).build();
            startQuietly(connect);
            toClose.add(0, connect::stop);
            bootstrapServers = connect.kafka().bootstrapServers();
            connectRestUrl = connect.endpointForResource("");
            step("Started Kafka (KRaft, 1 broker) at %s and a Connect worker at %s", bootstrapServers, connectRestUrl);
        } else {
            bootstrapServers = options.bootstrapServers;
            String id = UUID.randomUUID().toString().substring(0, 8);
            worker.put("bootstrap.servers", bootstrapServers);
            worker.put("group.id", "quickstart-" + id);
            worker.put("config.storage.topic", "quickstart-" + id + "-configs");
            worker.put("offset.storage.topic", "quickstart-" + id + "-offsets");
            worker.put("status.storage.topic", "quickstart-" + id + "-status");
            worker.put("config.storage.replication.factor", "1");
            worker.put("offset.storage.replication.factor", "1");
            worker.put("status.storage.replication.factor", "1");
            worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
            worker.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
            worker.put("listeners", "http://127.0.0.1:0");
            Connect<?> connect = new ConnectDistributed().startConnect(worker);
            toClose.add(0, connect::stop);
            connectRestUrl = connect.rest().serverUrl().toString();
            step("Using Kafka at %s; started a Connect worker at %s", bootstrapServers, connectRestUrl);
        }
        step("The worker loads the connector from %s", options.pluginPath.toAbsolutePath());
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    private void createTopics() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(heartbeatsTopic, PARTITIONS, (short) 1),
                    new NewTopic(logsTopic, PARTITIONS, (short) 1),
                    new NewTopic(dlqTopic, 1, (short) 1),
                    new NewTopic(dlqTopic + ".zstd", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    // ---- data ----------------------------------------------------------------------------------

    private record Produced(int heartbeats, int logs, int malformed, long bytes, Map<TopicPartition, Long> endOffsets) {
        int total() {
            return heartbeats + logs + malformed;
        }
    }

    private Produced produceSampleData() throws Exception {
        Random random = new Random(7);
        long bytes = 0;
        int malformed = 0;
        Map<TopicPartition, Long> endOffsets = new HashMap<>();
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.ACKS_CONFIG, "all",
                // order per partition without idempotence: see ConnectAndRedis.producer()
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < options.heartbeats; i++) {
                String device = String.format("sensor-%06d", i % options.devices);
                byte[] value = SampleData.heartbeat(device, i, random);
                bytes += value.length;
                send(producer, heartbeatsTopic, device, value, endOffsets);
            }
            for (int i = 0; i < options.logs; i++) {
                byte[] value = SampleData.logLine(i, random);
                bytes += value.length;
                send(producer, logsTopic, "log-" + i, value, endOffsets);
            }
            // records that cannot be written: malformed JSON (rejected by the converter) and no key for ${key}
            send(producer, heartbeatsTopic, "sensor-broken-1", "{\"deviceId\":\"sensor-broken-1\",\"battery\":".getBytes(StandardCharsets.UTF_8), endOffsets);
            send(producer, logsTopic, "log-broken", "not json at all".getBytes(StandardCharsets.UTF_8), endOffsets);
            send(producer, heartbeatsTopic, null, "{\"deviceId\":\"who-am-i\",\"battery\":50}".getBytes(StandardCharsets.UTF_8), endOffsets);
            malformed = 3;
            producer.flush();
        }
        step("Produced %,d heartbeats (~%d B each), %,d JSON log lines (~%,d B each) and %d malformed records",
                options.heartbeats, SampleData.heartbeat("sensor-000000", 0, new Random(1)).length,
                options.logs, SampleData.logLine(0, new Random(1)).length, malformed);
        return new Produced(options.heartbeats, options.logs, malformed, bytes, endOffsets);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value,
                             Map<TopicPartition, Long> endOffsets) {
        producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
                (sent, error) -> {
                    if (error != null) {
                        throw new IllegalStateException("cannot produce sample data to " + topic, error);
                    }
                    // the end offsets tell when everything has been committed
                    synchronized (endOffsets) {
                        endOffsets.merge(new TopicPartition(topic, sent.partition()), sent.offset() + 1, Math::max);
                    }
                });
    }

    // ---- connector -----------------------------------------------------------------------------

    /** The operator's connector (options.codec) and, beside it, the same stream with zstd and dictionaries. */
    private void startConnectors() throws Exception {
        startConnector(connectorName, options.codec, "${topic}:${key}", dlqTopic, Map.of());
        step("Created connector %s (codec %s) on topics %s, %s%s", connectorName, options.codec, heartbeatsTopic, logsTopic,
                buckets() ? ", in buckets " + bucketPrefix(connectorName) + "<n>" : "");
        if (options.dictionaryDemo) {
            // each of the two tasks sees about half of the 10,000 log lines: sample 500 of them, not the default 2,000,
            // so that most log lines are written after the dictionary is stored
            startConnector(dictionaryConnectorName(), "zstd", dictionaryKeyPrefix() + "${topic}:${key}", dlqTopic + ".zstd",
                    Map.of("compression.dictionary", "auto", "compression.dictionary.samples", "500"));
            step("Created connector %s (codec zstd, compression.dictionary=auto: a dictionary per topic, trained on the "
                    + "first 500 values each task sees) writing the same topics to %s", dictionaryConnectorName(),
                    buckets() ? "buckets " + bucketPrefix(dictionaryConnectorName()) + "<n>" : "keys " + DICTIONARY_KEYS + "<topic>:<key>");
        }
    }

    private boolean buckets() {
        return options.layout.equals("buckets");
    }

    /**
     * Where the dictionary connector's keys begin. With buckets each connector has buckets of its own, so both write the
     * same logical keys: a longer one would cost the dictionary connector its extra bytes in every entry.
     */
    private String dictionaryKeyPrefix() {
        return buckets() ? "" : DICTIONARY_KEYS;
    }

    private static String bucketPrefix(String connector) {
        return connector + ":b:";
    }

    private String dictionaryConnectorName() {
        return connectorName + "-zstd-dictionary";
    }

    private void startConnector(String name, String codec, String keyTemplate, String deadLetterTopic,
                                Map<String, String> extra) throws Exception {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", "io.redcompress.connect.RedisCompressedSinkConnector");
        config.put("tasks.max", "2");
        config.put("topics", heartbeatsTopic + "," + logsTopic);
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        config.put("value.converter.schemas.enable", "false");
        config.put("redis.uri", redisUri);
        config.put("key.template", keyTemplate);
        config.put("compression.codec", codec);
        config.putAll(extra);
        if (buckets()) {
            config.put("redis.layout", "buckets");
            config.put("redis.bucket.prefix", bucketPrefix(name));
            // the distinct keys this connector will write: one per device and one per log line
            config.put("redis.bucket.expected.keys", Integer.toString(Math.min(options.heartbeats, options.devices) + options.logs));
        }
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", deadLetterTopic);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        StringBuilder json = new StringBuilder("{");
        config.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":\"").append(v).append('"'));
        json.append('}');
        HttpResponse<String> response = rest("PUT", "connectors/" + name + "/config", json.toString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException("Connect refused the connector config: HTTP " + response.statusCode() + " " + response.body());
        }
    }

    private HttpResponse<String> rest(String method, String resource, String body) throws IOException, InterruptedException {
        String base = connectRestUrl.endsWith("/") ? connectRestUrl : connectRestUrl + "/";
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + resource))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until every produced record is committed; returns how many were. */
    private long awaitStreamed(Produced produced, String connectorName) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeoutSeconds);
        long total = produced.endOffsets().values().stream().mapToLong(Long::longValue).sum();
        long done = 0;
        try (Admin admin = admin()) {
            long lastPrinted = -1;
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("connect-" + connectorName)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                done = 0;
                for (Map.Entry<TopicPartition, Long> end : produced.endOffsets().entrySet()) {
                    OffsetAndMetadata offset = committed.get(end.getKey());
                    done += offset == null ? 0 : Math.min(offset.offset(), end.getValue());
                }
                if (done != lastPrinted) {
                    step("%s: committed %,d of %,d records (keys in Redis: %,d)", connectorName, done, total, redis.dbsize());
                    lastPrinted = done;
                }
                if (done >= total) {
                    return done;
                }
                String status = rest("GET", "connectors/" + connectorName + "/status", null).body();
                if (status.contains("\"FAILED\"")) {
                    System.out.println("The connector failed: " + status);
                    return done;
                }
                Thread.sleep(1000);
            }
        }
        System.out.println("Timed out after " + options.timeoutSeconds + " s waiting for the stream to complete");
        return done;
    }

    // ---- summary -------------------------------------------------------------------------------

    private void printSummary(Produced produced, long committed, boolean complete, long elapsedNanos) throws Exception {
        long keys = 0;
        long originalBytes = 0;
        long storedBytes = 0;
        String sampleKey = null;
        byte[] sampleStored = null;
        try (PluginJars plugin = PluginJars.open(options.pluginPath)) {
            for (String topic : List.of(heartbeatsTopic, logsTopic)) {
                for (Map.Entry<String, byte[]> entry : stored(connectorName, topic + ":").entrySet()) {
                    byte[] stored = entry.getValue();
                    originalBytes += plugin.decode(stored).length;
                    storedBytes += stored.length;
                    keys++;
                    if (sampleKey == null && topic.equals(heartbeatsTopic)) {
                        sampleKey = entry.getKey();
                        sampleStored = stored;
                    }
                }
            }
            List<ConsumerRecord<byte[], byte[]>> dead = readDeadLetters(produced.malformed());
            System.out.println();
            System.out.println("==================== Quickstart summary ====================");
            System.out.printf("Records produced       %,d (%,d heartbeats, %,d log lines, %d malformed)%n",
                    produced.total(), produced.heartbeats(), produced.logs(), produced.malformed());
            System.out.printf("Records committed      %,d: %,d written to Redis, %d on the dead-letter topic%n",
                    committed, committed - dead.size(), dead.size());
            System.out.printf("                       (one key per device and per log line: a device's later heartbeats overwrite its earlier ones)%n");
            if (buckets()) {
                System.out.printf("Entries in Redis       %,d (hash fields, in %,d buckets %s<n>)%n", keys,
                        bucketsOf(connectorName).size(), bucketPrefix(connectorName));
            } else {
                System.out.printf("Keys in Redis          %,d%n", keys);
            }
            System.out.printf("Bytes before/after     %,d -> %,d (%s, stored/original = %.3f, %.2fx smaller)%n",
                    originalBytes, storedBytes, options.codec, (double) storedBytes / Math.max(1, originalBytes),
                    (double) originalBytes / Math.max(1, storedBytes));
            long usedMemory = redis.usedMemory();
            long written = valueKeysOrEntries();
            System.out.printf("Redis used_memory      %,d bytes: %,d more than before the connectors, %.1f B per %s (%,d %s of %s, "
                            + "dictionaries included)%n", usedMemory, usedMemory - usedMemoryAtStart,
                    (double) (usedMemory - usedMemoryAtStart) / Math.max(1, written), buckets() ? "entry" : "key", written,
                    buckets() ? "entries" : "keys", options.dictionaryDemo ? "both connectors" : "the connector");
            System.out.printf("Dead-letter topic      %d records on %s%n", dead.size(), dlqTopic);
            for (ConsumerRecord<byte[], byte[]> record : dead) {
                System.out.printf("  %s-%s offset %s, stage %s: %s%n", header(record, "__connect.errors.topic"),
                        header(record, "__connect.errors.partition"), header(record, "__connect.errors.offset"),
                        header(record, "__connect.errors.stage"), DeadLetterReasons.explain(
                                header(record, DeadLetterReasons.MESSAGE_HEADER), header(record, DeadLetterReasons.STACKTRACE_HEADER)));
            }
            if (sampleKey != null) {
                System.out.printf("Read back              %s%s = %d bytes starting %s%n", buckets()
                        ? "HGET " + new String(bucketKey(connectorName, sampleKey), StandardCharsets.UTF_8) + " " : "",
                        sampleKey, sampleStored.length, hex(sampleStored, 12));
                System.out.printf("Decoded                %s%n", new String(plugin.decode(sampleStored), StandardCharsets.UTF_8));
            }
            if (options.dictionaryDemo) {
                printComparison(plugin);
            }
            if (buckets()) {
                printBuckets();
            }
            System.out.printf("Took                   %.1f s; %s%n", elapsedNanos / 1e9, complete ? "every record accounted for" : "INCOMPLETE");
            System.out.println("=============================================================");
        }
    }

    /**
     * The same values under the operator's codec and under zstd with dictionaries: stored bytes against the original,
     * and what Redis spends per key (MEMORY USAGE, which counts the key, the value and Redis's own overhead). With
     * buckets, a bucket holds both topics' entries, so memory is given per connector ({@link #printBuckets()}).
     */
    private void printComparison(PluginJars plugin) {
        java.util.function.UnaryOperator<byte[]> decoder = plugin.decoder(id -> redis.get(DICTIONARY_PREFIX + ":" + id));
        System.out.println(buckets() ? "Per entry in Redis      stored/original  (memory: see Buckets)  entries"
                : "Per key in Redis        stored/original  MEMORY USAGE B/key  keys");
        for (String topic : List.of(heartbeatsTopic, logsTopic)) {
            String kind = topic.equals(heartbeatsTopic) ? "heartbeats" : "logs";
            KeysFigures plain = figures(stored(connectorName, topic + ":"), decoder);
            KeysFigures zstd = figures(stored(dictionaryConnectorName(), topic + ":"), decoder);
            System.out.printf("  %-10s %-10s  %15.3f  %18s  %,d%n", kind, options.codec, plain.ratio(), plain.memoryPerKey(), plain.keys());
            System.out.printf("  %-10s %-10s  %15.3f  %18s  %,d%n", kind, "zstd+dict", zstd.ratio(), zstd.memoryPerKey(), zstd.keys());
            System.out.printf("  %-10s %-10s  %15.3f  %18s  %,d (written once the dictionary was stored)%n", "", "  of which",
                    zstd.withDictionary().ratio(), zstd.withDictionary().memoryPerKey(), zstd.withDictionary().keys());
        }
        List<String> dictionaries = redis.keys(DICTIONARY_PREFIX + ":*").stream()
                .filter(k -> k.substring(DICTIONARY_PREFIX.length() + 1).matches("\\d+")).toList();
        long dictionaryBytes = dictionaries.stream().mapToLong(k -> redis.get(k).length).sum();
        System.out.printf("Dictionaries           %d in Redis (%s:<id>), %,d bytes in all%n", dictionaries.size(),
                DICTIONARY_PREFIX, dictionaryBytes);
    }

    private record KeysFigures(long keys, long original, long stored, long memory, KeysFigures withDictionary) {
        double ratio() {
            return (double) stored / Math.max(1, original);
        }

        /** MEMORY USAGE per key, formatted; "-" with buckets, whose memory is not per key. */
        String memoryPerKey() {
            return memory < 0 ? "-" : String.format("%.1f", (double) memory / Math.max(1, keys));
        }
    }

    /**
     * Decodes every value (so each is checked) and adds up its sizes, and those of the values naming a dictionary;
     * in the keys layout, with each key's MEMORY USAGE.
     */
    private KeysFigures figures(Map<String, byte[]> values, java.util.function.UnaryOperator<byte[]> decoder) {
        long[] all = new long[4];
        long[] dictionary = new long[4];
        if (buckets()) {
            all[3] = Long.MIN_VALUE;
            dictionary[3] = Long.MIN_VALUE;
        }
        for (Map.Entry<String, byte[]> entry : values.entrySet()) {
            String key = entry.getKey();
            byte[] stored = entry.getValue();
            long original = decoder.apply(stored).length;
            long memory = buckets() ? 0 : ((Number) redis.command("MEMORY", "USAGE", key)).longValue();
            boolean named = stored.length > 1 && (stored[1] & 0xF0) >> 4 == 5; // codec id 5: zstd with a dictionary
            for (long[] sums : named ? new long[][] {all, dictionary} : new long[][] {all}) {
                sums[0]++;
                sums[1] += original;
                sums[2] += stored.length;
                sums[3] += memory;
            }
        }
        return new KeysFigures(all[0], all[1], all[2], all[3],
                new KeysFigures(dictionary[0], dictionary[1], dictionary[2], dictionary[3], null));
    }

    // ---- reading what a connector wrote, in either layout ------------------------------------------

    private final Map<String, Map<String, byte[]>> storedByConnectorAndPrefix = new HashMap<>();
    private final Map<String, Map<String, Map<String, byte[]>>> bucketsByConnector = new HashMap<>();

    /**
     * What {@code connector} wrote under logical keys that start with {@code logicalPrefix}: logical key -> stored
     * value; in the keys layout the key is the Redis key, with buckets the field, read from every bucket.
     */
    private Map<String, byte[]> stored(String connector, String logicalPrefix) {
        return storedByConnectorAndPrefix.computeIfAbsent(connector + " " + logicalPrefix, unused -> {
            Map<String, byte[]> values = new java.util.TreeMap<>();
            if (buckets()) {
                bucketsOf(connector).values().forEach(bucket -> bucket.forEach((field, value) -> {
                    if (field.startsWith(logicalPrefix)) {
                        values.put(field, value);
                    }
                }));
            } else {
                String keyPrefix = connector.equals(dictionaryConnectorName()) ? dictionaryKeyPrefix() : "";
                for (String key : redis.keys(keyPrefix + logicalPrefix + "*")) {
                    values.put(key, redis.get(key));
                }
            }
            return values;
        });
    }

    /** The value keys, or with buckets the entries, that the connectors wrote. */
    private long valueKeysOrEntries() {
        long written = 0;
        for (String connector : options.dictionaryDemo ? List.of(connectorName, dictionaryConnectorName()) : List.of(connectorName)) {
            for (String topic : List.of(heartbeatsTopic, logsTopic)) {
                written += stored(connector, topic + ":").size();
            }
        }
        return written;
    }

    /** The buckets of a connector (bucket key -> field -> value), as many as its layout marker names; empty ones left out. */
    private Map<String, Map<String, byte[]>> bucketsOf(String connector) {
        return bucketsByConnector.computeIfAbsent(connector, unused -> {
            Map<String, Map<String, byte[]>> buckets = new java.util.TreeMap<>();
            for (int i = 0; i < bucketCount(connector); i++) {
                String bucket = bucketPrefix(connector) + i;
                List<?> reply = (List<?>) redis.command("HGETALL", bucket);
                Map<String, byte[]> fields = new LinkedHashMap<>();
                for (int f = 0; f + 1 < reply.size(); f += 2) {
                    fields.put(new String((byte[]) reply.get(f), StandardCharsets.UTF_8), (byte[]) reply.get(f + 1));
                }
                if (!fields.isEmpty()) {
                    buckets.put(bucket, fields);
                }
            }
            return buckets;
        });
    }

    /** The bucket count from the layout marker {@code <prefix>layout} (... count=N ...) that the connector's tasks wrote. */
    private int bucketCount(String connector) {
        String marker = redis.getString(bucketPrefix(connector) + "layout");
        java.util.regex.Matcher count = marker == null ? null : java.util.regex.Pattern.compile("\\bcount=(\\d+)").matcher(marker);
        if (count == null || !count.find()) {
            throw new IllegalStateException("no layout marker with a bucket count at " + bucketPrefix(connector) + "layout: " + marker);
        }
        return Integer.parseInt(count.group(1));
    }

    /** The bucket of a logical key, as an application finds it: CRC-32 (IEEE) of the key, unsigned, mod the count. */
    private byte[] bucketKey(String connector, String logicalKey) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(logicalKey.getBytes(StandardCharsets.UTF_8));
        return (bucketPrefix(connector) + crc.getValue() % bucketCount(connector)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Per connector: what Redis spends per entry in its buckets (MEMORY USAGE of every bucket, all fields counted, over
     * its entries), the entries per bucket and the share of buckets Redis keeps as listpacks; a value or field longer
     * than hash-max-listpack-value turns its whole bucket into a hashtable.
     */
    private void printBuckets() {
        System.out.printf("Buckets                MEMORY USAGE B/entry  entries per bucket (max)  listpack buckets  "
                + "(hash-max-listpack-value %s, -entries %s)%n", redis.configGet("hash-max-listpack-value"),
                redis.configGet("hash-max-listpack-entries"));
        for (String connector : options.dictionaryDemo ? List.of(connectorName, dictionaryConnectorName()) : List.of(connectorName)) {
            Map<String, Map<String, byte[]>> buckets = bucketsOf(connector);
            long entries = buckets.values().stream().mapToLong(Map::size).sum();
            long memory = 0;
            int listpacks = 0;
            for (String bucket : buckets.keySet()) {
                memory += ((Number) redis.command("MEMORY", "USAGE", bucket, "SAMPLES", "0")).longValue();
                String encoding = new String((byte[]) redis.command("OBJECT", "ENCODING", bucket), StandardCharsets.UTF_8);
                listpacks += encoding.equals("listpack") || encoding.equals("ziplist") ? 1 : 0;
            }
            System.out.printf("  %-20s %20.1f  %17.1f (%d)  %,d of %,d%n",
                    connector.equals(connectorName) ? options.codec : "zstd+dict", (double) memory / Math.max(1, entries),
                    (double) entries / Math.max(1, buckets.size()),
                    buckets.values().stream().mapToInt(Map::size).max().orElse(0), listpacks, buckets.size());
        }
        System.out.println("  (a bucket holds heartbeats and log lines alike; one value longer than hash-max-listpack-value, "
                + "as every ~1.5 KB log line is, makes its whole bucket a hashtable)");
    }

    private List<ConsumerRecord<byte[], byte[]>> readDeadLetters(int expected) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "quickstart-dlq-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(dlqTopic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * Starts the embedded cluster without the lines Kafka's storage formatter prints to standard output (a
     * multi-kilobyte "Bootstrap metadata: ..." dump and "Formatting metadata directory ..."), which say nothing to a
     * newcomer; everything else still goes through.
     */
    private static void startQuietly(EmbeddedConnectCluster connect) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override
            public void write(int b) {
                line.write(b);
                if (b == '\n') {
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (!text.startsWith("Bootstrap metadata:") && !text.startsWith("Formatting metadata directory")) {
                        out.print(text);
                    }
                }
            }
        }, true, StandardCharsets.UTF_8));
        try {
            connect.start();
        } finally {
            System.setOut(out);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String hex(byte[] bytes, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(max, bytes.length); i++) {
            out.append(String.format("%02x ", bytes[i]));
        }
        return out.append("...").toString();
    }

    private static void step(String format, Object... args) {
        System.out.printf("[quickstart] " + format + "%n", args);
    }

    private void shutdown() {
        for (AutoCloseable closeable : toClose) {
            try {
                closeable.close();
            } catch (Exception e) {
                System.err.println("[quickstart] while shutting down: " + e);
            }
        }
    }

    // ---- flags ---------------------------------------------------------------------------------

    private static final class Options {
        Path pluginPath = Path.of("target/plugin");
        String bootstrapServers;
        String redisUri;
        String codec = "lz4";
        int heartbeats = 20_000;
        int devices = 5_000;
        int logs = 10_000;
        int timeoutSeconds = 300;
        boolean dictionaryDemo = true;
        String layout = "keys";

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    System.out.println("""
                            Usage: quickstart [flags]
                              --bootstrap-servers HOST:PORT  use an existing Kafka instead of an embedded broker
                              --redis-uri redis://HOST:PORT  use an existing Redis instead of starting redis-server
                              --plugin-path DIR              the built plugin directory (default target/plugin)
                              --codec lz4|snappy|zstd|gzip|none   (default lz4)
                              --no-dictionary-demo           do not run the second connector (zstd with dictionaries)
                              --layout keys|buckets          keys: SET per record (default); buckets: redis.layout=buckets,
                                                             entries in hashes of ~94, memory per entry in the summary
                              --heartbeats N --devices N --logs N  how much sample data (default 20000, 5000, 10000)
                              --timeout-seconds N            how long to wait for the stream (default 300)""");
                    return null;
                }
                if (flag.equals("--no-dictionary-demo")) {
                    options.dictionaryDemo = false;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("flag " + flag + " needs a value; see --help");
                }
                String value = args[++i];
                switch (flag) {
                    case "--bootstrap-servers" -> options.bootstrapServers = value;
                    case "--redis-uri" -> options.redisUri = value;
                    case "--plugin-path" -> options.pluginPath = Path.of(value);
                    case "--codec" -> options.codec = value;
                    case "--heartbeats" -> options.heartbeats = Integer.parseInt(value);
                    case "--devices" -> options.devices = Math.max(1, Integer.parseInt(value));
                    case "--logs" -> options.logs = Integer.parseInt(value);
                    case "--timeout-seconds" -> options.timeoutSeconds = Integer.parseInt(value);
                    case "--layout" -> {
                        if (!value.equals("keys") && !value.equals("buckets")) {
                            throw new IllegalArgumentException("--layout is keys or buckets, not " + value);
                        }
                        options.layout = value;
                    }
                    default -> throw new IllegalArgumentException("unknown flag " + flag + "; see --help");
                }
            }
            return options;
        }
    }
}
